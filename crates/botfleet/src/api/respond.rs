//! What every response gets, whoever made it: `X-Content-Type-Options: nosniff`; an error body in
//! our JSON shape even when axum, tower or a panic produced it (405, 413, 414, an extractor's
//! plain-text rejection, a missing extension); a 414 for a URI longer than [`URI_LIMIT`]; and
//! `Cache-Control: no-store` on the answers that carry a secret ([`NoStore`]).

use std::any::Any;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use super::error::ApiError;

/// The longest path and query accepted (longer: 414). Hyper itself refuses a URI over 64 KiB
/// with an empty 414 before botfleet sees it; this limit is lower so that what a client meets is
/// our JSON error.
pub const URI_LIMIT: usize = 8 * 1024;

/// Error bodies longer than this are not read back to be rewrapped (axum's texts are a line).
const TEXT_LIMIT: usize = 4 * 1024;

/// A response that must not be stored by a browser or a proxy: it carries a secret (a new API
/// key, a two-factor secret, recovery codes, a session cookie or a sign-in challenge).
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// `router` wrapped in the layers every response passes through: the JSON error shape,
/// `nosniff`, the URI limit, and a caught panic answered as a JSON 500.
pub fn around(router: Router) -> Router {
    router.layer(CatchPanicLayer::custom(panicked)).layer(axum::middleware::from_fn(every_response))
}

/// A handler panicked: logged, and answered like any internal error.
fn panicked(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    internal()
}

fn internal() -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log says more")
        .into_response()
}

async fn every_response(request: Request, next: Next) -> Response {
    let too_long = request.uri().path_and_query().is_some_and(|pq| pq.as_str().len() > URI_LIMIT);
    let mut response = if too_long {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("the request's path and query are longer than {} KiB", URI_LIMIT / 1024),
        )
        .into_response()
    } else {
        as_json_error(next.run(request).await).await
    };
    response.headers_mut().insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The stable code for an error status nobody in botfleet chose a code for.
fn code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")))
}

/// An error response that is not JSON (axum's and tower's own answers are plain text or empty)
/// becomes `{error: {code, message}}` with the same status and headers. For a 4xx the original
/// text, when short, is the message (axum's rejections say what was wrong); a 5xx's is logged.
async fn as_json_error(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, TEXT_LIMIT)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let fallback = status.canonical_reason().unwrap_or("the request failed").to_owned();
    let message = if status.is_server_error() {
        tracing::error!(status = status.as_u16(), text = text.as_deref().unwrap_or(""), "an internal error response");
        "internal error; the server log says more".to_owned()
    } else {
        text.unwrap_or(fallback)
    };
    let fresh = ApiError::new(status, code(status), message).into_response();
    let (fresh_parts, body) = fresh.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    for (name, value) in &fresh_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    async fn call(router: Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let request = Request::builder().uri(uri).body(axum::body::Body::empty()).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    #[tokio::test]
    async fn a_handler_panic_is_a_json_500() {
        #[allow(clippy::panic)]
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let (status, headers, body) = call(around(Router::new().route("/boom", get(boom))), "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn a_plain_text_error_becomes_the_json_shape() {
        let plain = || async { (StatusCode::BAD_REQUEST, "Failed to parse the thing") };
        let (status, headers, body) = call(around(Router::new().route("/plain", get(plain))), "/plain").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "bad_request");
        assert_eq!(body["error"]["message"], "Failed to parse the thing");
        assert!(headers[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
        let internal = || async { (StatusCode::INTERNAL_SERVER_ERROR, "Missing request extension: secret detail") };
        let (status, _, body) = call(around(Router::new().route("/x", get(internal))), "/x").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal");
        assert!(!body.to_string().contains("secret detail"));
    }
}
