//! Cursor pagination: an opaque cursor naming the last row seen, so pages stay stable while rows
//! are added (new rows never shift what "after this id" means).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, Result};

/// A position in a list: the id of the last row of the previous page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub i64);

impl Cursor {
    /// The opaque form clients send back.
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("c1:{}", self.0))
    }

    /// Parses a cursor this server issued; anything else is a clear 400.
    pub fn decode(text: &str) -> Result<Self> {
        let bad = || Error::BadRequest("cursor is not one this server issued; start again without it".into());
        let raw = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let id = raw.strip_prefix("c1:").and_then(|n| n.parse::<i64>().ok()).ok_or_else(bad)?;
        if id < 0 {
            return Err(bad());
        }
        Ok(Self(id))
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `limit + 1` rows.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, id: impl Fn(&T) -> i64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(|last| Cursor(id(last)).encode()) } else { None };
        Self { items, next_cursor }
    }
}

/// Checks a `limit` parameter: 1 to `max`, `default` when absent.
pub fn limit(value: Option<u32>, default: u32, max: u32) -> Result<u32> {
    match value {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(Error::field("limit", format!("must be 1 to {max}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        assert_eq!(Cursor::decode(&Cursor(42).encode()).unwrap(), Cursor(42));
        for bad in ["", "!!", "YWJj", &URL_SAFE_NO_PAD.encode("c1:-5")] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overfetch_sets_the_next_cursor() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| *n);
        assert_eq!((page.items, page.next_cursor), (vec![1, 2], Some(Cursor(2).encode())));
        assert!(Page::from_overfetch(vec![1, 2], 2, |n| *n).next_cursor.is_none());
    }
}
