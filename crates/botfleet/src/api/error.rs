//! The one mapping from `Error` to HTTP: a status and `{error: {code, message, fields?}}`.
//! Database and other internal failures are logged here and shown as a bare 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{Error, FieldError, Refusal};

/// The error body every failing request gets.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: `validation`, `bad_request`, `unauthenticated`, `forbidden`,
    /// `csrf`, `totp_required`, `rate_limited`, `not_found`, `method_not_allowed`, `conflict`,
    /// `unreadable`, `discord`, `discord_unreachable`, `payload_too_large`, `uri_too_long`,
    /// `unsupported_media_type`, `body_timeout`, `unavailable`, `live_disabled`,
    /// `idempotency_key_reused`, `gone`, `internal` (every one in [`CODES`]).
    pub code: &'static str,
    /// For a person.
    pub message: String,
    /// Per-field problems (`validation` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldError>>,
}

/// Every error code botfleet answers with (docs/api.md's Errors table lists each; a test checks).
pub const CODES: &[&str] = &[
    "bad_request",
    "unauthenticated",
    "forbidden",
    "csrf",
    "totp_required",
    "not_found",
    "method_not_allowed",
    "conflict",
    "unreadable",
    "payload_too_large",
    "uri_too_long",
    "unsupported_media_type",
    "body_timeout",
    "validation",
    "discord",
    "rate_limited",
    "internal",
    "discord_unreachable",
    "unavailable",
    "live_disabled",
    "idempotency_key_reused",
    "gone",
];

/// An HTTP error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Option<Vec<FieldError>>,
    /// Seconds for `Retry-After` (429 only).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Any status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: None, retry_after: None }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 for a route that does not exist.
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; see /api/openapi.json")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation(fields) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "validation",
                message: "some fields are invalid; see fields".into(),
                fields: Some(fields),
                retry_after: None,
            },
            Error::BadRequest(m) => Self::bad_request(m),
            Error::NotSignedIn(m) => Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", m),
            Error::Refused { why, message } => {
                let code = match why {
                    Refusal::Permission => "forbidden",
                    Refusal::CrossSite => "csrf",
                    Refusal::TwoFactorRequired => "totp_required",
                };
                Self::new(StatusCode::FORBIDDEN, code, message)
            }
            Error::RateLimited { retry_after, message } => Self {
                // Whole seconds, rounded up, at least one.
                retry_after: Some(retry_after.as_millis().div_ceil(1000).max(1).try_into().unwrap_or(u64::MAX)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            e @ Error::NotFound { .. } => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            Error::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            Error::Unreadable(m) => {
                tracing::error!(problem = %m, "stored data cannot be read");
                Self::new(StatusCode::CONFLICT, "unreadable", m)
            }
            Error::Discord { status: Some(_), message } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "discord", message)
            }
            Error::Discord { status: None, message } => {
                Self::new(StatusCode::BAD_GATEWAY, "discord_unreachable", message)
            }
            Error::OtherNode(m) => Self::new(StatusCode::SERVICE_UNAVAILABLE, "other_node", m),
            Error::Database(e) if !matches!(e, sqlx::Error::Database(_) | sqlx::Error::ColumnDecode { .. }) => {
                tracing::error!(error = ?e, "database unreachable");
                let message = "the database is not answering; try again shortly";
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            }
            e @ (Error::Database(_) | Error::Migration(_) | Error::Decrypt | Error::Config(_)) => {
                tracing::error!(error = ?e, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log says more")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message, fields: self.fields } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
