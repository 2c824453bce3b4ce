//! Cursor pagination: an opaque cursor naming the last row seen, so pages stay stable while rows
//! are added (new rows never shift what "after this id" means). A list shown in another order than
//! by id (products by sort order and name, users by name) pages with a [`KeyCursor`] carrying the
//! sort key of the last row seen as well as its id (keyset paging, never OFFSET).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
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
        let bad = forged;
        let raw = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let id = raw.strip_prefix("c1:").and_then(|n| n.parse::<i64>().ok()).ok_or_else(bad)?;
        if id < 0 {
            return Err(bad());
        }
        Ok(Self(id))
    }
}

fn forged() -> Error {
    Error::BadRequest("cursor is not one this server issued; start again without it".into())
}

/// A position in a list sorted by a key other than the id: the last row's sort key (a tuple of
/// the ORDER BY columns before the id) and its id. Opaque to clients (`k1:` and the key and id as
/// JSON, base64url); a cursor whose key does not have the list's shape is a 400, as is a `c1:`
/// cursor of an id-ordered list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCursor<K> {
    pub key: K,
    pub id: i64,
}

impl<K: Serialize + DeserializeOwned> KeyCursor<K> {
    /// The opaque form clients send back.
    pub fn encode(&self) -> String {
        // Serialising a tuple of numbers and strings cannot fail; an empty key would only restart.
        let json = serde_json::to_string(&(&self.key, self.id)).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(format!("k1:{json}"))
    }

    /// Parses a keyed cursor this server issued for a list with this key's shape; else a 400.
    pub fn decode(text: &str) -> Result<Self> {
        let raw = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| forged())?;
        let raw = String::from_utf8(raw).map_err(|_| forged())?;
        let json = raw.strip_prefix("k1:").ok_or_else(forged)?;
        let (key, id): (K, i64) = serde_json::from_str(json).map_err(|_| forged())?;
        if id < 0 {
            return Err(forged());
        }
        Ok(Self { key, id })
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

    /// Builds a page from a query that fetched `limit + 1` rows in a keyed order: `cursor` gives
    /// the position of a row (its sort key and id).
    pub fn from_overfetch_keyed<K: Serialize + DeserializeOwned>(
        mut items: Vec<T>,
        limit: u32,
        cursor: impl Fn(&T) -> KeyCursor<K>,
    ) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(|last| cursor(last).encode()) } else { None };
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

/// `cursor` and `limit` of a list without filters (1 to 200, default 50).
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From `next_cursor` of the previous page; absent: the first page.
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<Limit>,
}

impl PageQuery {
    /// The limit, checked (422 out of range).
    pub fn limit(&self) -> Result<u32> {
        limit(self.limit, 50, 200)
    }

    /// The id cursor, checked (400 for one this server did not issue).
    pub fn after(&self) -> Result<Option<Cursor>> {
        self.cursor.as_deref().map(Cursor::decode).transpose()
    }

    /// The keyed cursor, checked (400 for one this server did not issue for such a list).
    pub fn after_key<K: Serialize + DeserializeOwned>(&self) -> Result<Option<KeyCursor<K>>> {
        self.cursor.as_deref().map(KeyCursor::decode).transpose()
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
    fn keyed_cursors_round_trip_and_reject_forgeries_and_other_shapes() {
        let c = KeyCursor { key: (3_i64, "Mug: \"blue\"".to_owned()), id: 17 };
        assert_eq!(KeyCursor::<(i64, String)>::decode(&c.encode()).unwrap(), c);
        let name = KeyCursor { key: ("alice".to_owned(),), id: 2 };
        assert_eq!(KeyCursor::<(String,)>::decode(&name.encode()).unwrap(), name);
        let shapes = [
            Cursor(5).encode(),
            name.encode(),
            URL_SAFE_NO_PAD.encode(r#"k1:[[3,"x"],-1]"#),
            URL_SAFE_NO_PAD.encode(r#"k1:[[3,"x"]]"#),
            URL_SAFE_NO_PAD.encode("k1:"),
            URL_SAFE_NO_PAD.encode(r#"k2:[[3,"x"],1]"#),
            "!!".to_owned(),
        ];
        for bad in &shapes {
            assert!(KeyCursor::<(i64, String)>::decode(bad).is_err(), "{bad}");
        }
        assert!(Cursor::decode(&c.encode()).is_err(), "a keyed cursor is not an id cursor");
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
