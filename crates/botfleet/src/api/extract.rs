//! Request extractors whose rejections are our JSON errors, not axum's plain text: a JSON body, a
//! CSV body, a query string, and an id in the path. A body is read only when its `Content-Type`
//! says what it is (415 otherwise): a cross-site form or `text/plain` post is never taken as JSON.

use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Whether `headers` say the body is `media` (`type/subtype`, any case), with no parameter but an
/// optional `charset=utf-8`.
pub fn is_media_type(headers: &HeaderMap, media: &str) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence_ok = parts.next().is_some_and(|m| m.eq_ignore_ascii_case(media));
    essence_ok
        && parts.all(|p| {
            p.split_once('=').is_some_and(|(name, v)| {
                name.trim().eq_ignore_ascii_case("charset") && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            })
        })
}

/// 415 unless the request says its body is `media`.
fn require_media_type(headers: &HeaderMap, media: &str) -> Result<(), ApiError> {
    if is_media_type(headers, media) {
        return Ok(());
    }
    let given = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("none");
    Err(ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        format!("send the body as Content-Type: {media} (optionally with charset=utf-8); this request says {given:?}"),
    ))
}

/// The body's bytes; 413 names the route's limit.
pub(super) async fn bytes<S: Send + Sync>(req: Request, state: &S, limit: &str) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(req, state).await.map_err(|e: BytesRejection| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is larger than {limit}"),
            )
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })
}

/// A JSON body (`Content-Type: application/json`); another media type gets 415, and bad JSON,
/// wrong types, unknown fields and oversized bodies get clear 4xx errors.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        json_body(req, state, "64 KiB").await.map(Body)
    }
}

/// A JSON body like [`Body`], on a route whose own limit is larger (`transfer::IMPORT_LIMIT`, the
/// configuration import).
pub struct LargeBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for LargeBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let limit = format!("{} MiB", super::transfer::IMPORT_LIMIT / (1024 * 1024));
        json_body(req, state, &limit).await.map(LargeBody)
    }
}

/// Reads and parses a JSON object body within `limit` (named in the 413).
async fn json_body<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S, limit: &str) -> Result<T, ApiError> {
    {
        require_media_type(req.headers(), "application/json")?;
        let bytes = bytes(req, state, limit).await?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request("a JSON body is required"));
        }
        let mut value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
        // serde would read a struct from an array too (`[null, null]` as its first fields).
        if !value.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON object"));
        }
        whole_numbers(&mut value);
        serde_json::from_value(value).map_err(|e| ApiError::bad_request(format!("the request body does not fit: {e}")))
    }
}

/// A JSON number with no fraction is a whole number however it is written (JSON Schema's
/// `integer`): `5.0` becomes `5`, so every integer field takes it alike.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^63, where an f64 with no fraction is an exact i64.
            if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// A CSV body (`Content-Type: text/csv`, UTF-8), for `/products/import`; its limit is the
/// route's own (`stock::IMPORT_LIMIT`).
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        require_media_type(req.headers(), "text/csv")?;
        let limit = format!("{} MiB", super::stock::IMPORT_LIMIT / (1024 * 1024));
        let bytes = bytes(req, state, &limit).await?;
        String::from_utf8(bytes.to_vec()).map(CsvBody).map_err(|_| ApiError::bad_request("the CSV must be UTF-8 text"))
    }
}

/// Query parameters; unknown or ill-typed ones get a 400 naming the problem.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request(format!("bad query parameters: {}", e.body_text())))
    }
}

/// A numeric id in the path (`/bots/{id}`), written exactly: ASCII digits, no sign, no leading
/// zero, at most `i64::MAX`. `+2` and `02` are not another way to say 2 (an id names one thing).
pub struct PathId(pub i64);

impl PathId {
    /// The id `raw` spells, if it spells one exactly.
    pub fn parse(raw: &str) -> Option<i64> {
        let exact = !raw.is_empty() && !raw.starts_with('0') && raw.bytes().all(|b| b.is_ascii_digit());
        exact.then(|| raw.parse::<i64>().ok()).flatten()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("the id in the path is missing"))?;
        match PathId::parse(&raw) {
            Some(id) => Ok(PathId(id)),
            None => Err(ApiError::bad_request(format!(
                "{raw:?} is not an id (digits only, no sign or leading zero, from 1 to {})",
                i64::MAX
            ))),
        }
    }
}

/// Two numeric ids in the path (`/jobs/{id}/items/{seq}`), each written exactly as [`PathId`] reads one.
pub struct PathIds(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let axum::extract::Path((a, b)) = axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::bad_request("an id in the path is missing"))?;
        match (PathId::parse(&a), PathId::parse(&b)) {
            (Some(a), Some(b)) => Ok(PathIds(a, b)),
            _ => Err(ApiError::bad_request(format!(
                "{a:?} / {b:?}: each must be an id (digits only, no sign or leading zero, from 1 to {})",
                i64::MAX
            ))),
        }
    }
}
