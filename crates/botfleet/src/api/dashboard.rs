//! The dashboard: static files embedded in the binary (read from `crates/botfleet/dashboard/` at
//! run time in debug builds, so edits show on reload), served at `/` and `/assets/…` with a
//! strict Content-Security-Policy. The page signs in through the API like any client.

use axum::extract::Path;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

#[derive(rust_embed::RustEmbed)]
#[folder = "dashboard/"]
struct Files;

/// No external requests, no inline script, no framing.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn file(path: &str) -> Response {
    let Some(found) = Files::get(path) else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such dashboard file").into_response();
    };
    let mime = found.metadata.mimetype().to_owned();
    let mut response = (StatusCode::OK, found.data.into_owned()).into_response();
    let headers = response.headers_mut();
    let cache = if path == "index.html" { "no-cache" } else { "public, max-age=300" };
    let pairs = [
        (header::CONTENT_TYPE, mime.as_str()),
        (header::CACHE_CONTROL, cache),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    }
    response
}

/// `GET /`: the dashboard's page (sign-in included; it routes by `#/…`).
pub async fn index() -> Response {
    file("index.html")
}

/// `GET /assets/{*path}`: scripts, styles, icons and vendored libraries.
pub async fn asset(Path(path): Path<String>) -> Response {
    if path.split('/').any(|part| part == ".." || part.is_empty()) {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such dashboard file").into_response();
    }
    file(&path)
}
