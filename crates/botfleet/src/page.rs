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

/// A `limit` query parameter as written: any whole number is taken here (beyond 64 bits it
/// saturates), so that [`limit`] refuses every out-of-range one alike (422); anything else, `5.0`
/// included, is not a whole number and the query extractor refuses it (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(pub i64);

impl<'de> serde::Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Whole;
        impl serde::de::Visitor<'_> for Whole {
            type Value = Limit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Limit, E> {
                Ok(Limit(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Limit, E> {
                Ok(Limit(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Limit, E> {
                let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(serde::de::Unexpected::Str(v), &self));
                }
                let far = if v.starts_with('-') { i64::MIN } else { i64::MAX };
                Ok(Limit(v.parse().unwrap_or(far)))
            }
        }
        d.deserialize_any(Whole)
    }
}

/// Checks a `limit` parameter: 1 to `max`, `default` when absent; any other whole number is a
/// validation error (422) on every list route.
pub fn limit(value: Option<Limit>, default: u32, max: u32) -> Result<u32> {
    match value {
        None => Ok(default),
        Some(Limit(n)) => match u32::try_from(n) {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(Error::field("limit", format!("must be 1 to {max}"))),
        },
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

    #[test]
    fn every_out_of_range_limit_is_a_validation_error() {
        #[derive(serde::Deserialize)]
        struct Q {
            limit: Option<Limit>,
        }
        let parse = |q: &str| {
            let uri: axum::http::Uri = format!("/x?{q}").parse().unwrap();
            axum::extract::Query::<Q>::try_from_uri(&uri).map(|q| q.0.limit)
        };
        assert_eq!(limit(parse("limit=7").unwrap(), 50, 200).unwrap(), 7);
        assert_eq!(limit(parse("").unwrap(), 50, 200).unwrap(), 50);
        for out in ["limit=0", "limit=201", "limit=-1", "limit=4294967297", "limit=99999999999999999999999"] {
            let e = limit(parse(out).unwrap(), 50, 200).unwrap_err();
            assert!(matches!(e, Error::Validation(_)), "{out}: {e:?}");
        }
        for bad in ["limit=5.0", "limit=ten", "limit=", "limit=-", "limit=1e3"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
