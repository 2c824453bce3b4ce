//! Exports: `POST /api/v1/{command-logs,bot-logs,audit-logs}/export` start an export job (the
//! list's filter, CSV or JSON Lines) and `GET /api/v1/jobs/{id}/file` downloads its file — gzip
//! as stored when the client accepts it, else decompressed as it is sent. Starting, cancelling,
//! retrying and downloading an export need the permission that reads its source.

use axum::body::{Body as HttpBody, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{Body, PathId};
use super::guard::AuditTrail;
use super::jobs::creator;
use super::AppState;
use crate::auth::Principal;
use crate::error::Error;
use crate::jobs::exports::{self, Source};
use crate::jobs::model::{Job, JobKind, JobState};
use crate::jobs::repo;

type Reply<T> = Result<T, ApiError>;

/// What to export.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// `csv` (the default) or `jsonl` (JSON Lines).
    #[schema(pattern = r"^(?:csv|jsonl)$")]
    pub format: Option<String>,
    /// The list endpoint's query parameters as a JSON object (`{"bot_id": 3, "since":
    /// "2026-12-01T00:00:00Z"}`), checked as the list checks them; `cursor` and `limit` are not
    /// taken (an export holds every matching row). Absent: every row.
    #[schema(value_type = Option<Object>)]
    pub filter: Option<serde_json::Value>,
}

async fn start(
    app: AppState,
    trail: AuditTrail,
    principal: Principal,
    source: Source,
    req: ExportRequest,
) -> Reply<(StatusCode, Json<Job>)> {
    let params = exports::check(&app.store, source, req.format.as_deref(), req.filter).await?;
    let value = serde_json::to_value(&params).map_err(|e| Error::Unreadable(e.to_string()))?;
    let job = app.jobs.submit(JobKind::Export, value, &exports::targets(), &creator(&principal)).await?;
    trail.record(
        "logs.export",
        "job",
        job.id,
        json!({"source": source.as_str(), "format": job.params["format"], "filter": params.filter}),
    );
    Ok((StatusCode::ACCEPTED, Json(job)))
}

/// Exports the command logs a filter selects (as `GET /command-logs` would list them) to one CSV or
/// JSON Lines file, as a background job: answers `202` with the job; download its file at
/// `/api/v1/jobs/{id}/file` once it has succeeded.
#[utoipa::path(post, path = "/api/v1/command-logs/export", tag = "logs", request_body = ExportRequest,
    responses((status = 202, body = Job), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn command_logs(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<ExportRequest>,
) -> Reply<(StatusCode, Json<Job>)> {
    start(app, trail, principal, Source::CommandLogs, req).await
}

/// Exports the bot logs a filter selects (as `GET /bot-logs` would list them) to one CSV or JSON
/// Lines file, as a background job: answers `202` with the job.
#[utoipa::path(post, path = "/api/v1/bot-logs/export", tag = "logs", request_body = ExportRequest,
    responses((status = 202, body = Job), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bot_logs(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<ExportRequest>,
) -> Reply<(StatusCode, Json<Job>)> {
    start(app, trail, principal, Source::BotLogs, req).await
}

/// Exports the audit rows a filter selects (as `GET /audit-logs` would list them) to one CSV or
/// JSON Lines file, as a background job: answers `202` with the job.
#[utoipa::path(post, path = "/api/v1/audit-logs/export", tag = "audit", request_body = ExportRequest,
    responses((status = 202, body = Job), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn audit_logs(
    State(app): State<AppState>,
    trail: AuditTrail,
    principal: Principal,
    Body(req): Body<ExportRequest>,
) -> Reply<(StatusCode, Json<Job>)> {
    start(app, trail, principal, Source::Audit, req).await
}

/// Whether `Accept-Encoding` takes gzip (`gzip`, `x-gzip` or `*` with a weight above 0).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for value in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for part in value.split(',') {
            let mut pieces = part.split(';').map(str::trim);
            let coding = pieces.next().unwrap_or_default().to_ascii_lowercase();
            let weight = pieces
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            match coding.as_str() {
                "gzip" | "x-gzip" => gzip = Some(weight > 0.0),
                "*" => any = Some(weight > 0.0),
                _ => {}
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// The stored gzip decompressed as it is sent, 64 KiB at a time.
fn decompressed(bytes: Vec<u8>) -> HttpBody {
    use std::io::Read;
    let decoder = flate2::read::GzDecoder::new(std::io::Cursor::new(bytes));
    let chunks = futures_util::stream::unfold(Some(decoder), |state| async move {
        let mut decoder = state?;
        let mut buf = vec![0u8; 64 * 1024];
        match decoder.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), Some(decoder)))
            }
            Err(e) => {
                tracing::error!(error = %e, "a stored export could not be decompressed");
                Some((Err(e), None))
            }
        }
    });
    HttpBody::from_stream(chunks)
}

/// An export's file: `Content-Encoding: gzip` as stored when the request's `Accept-Encoding`
/// takes gzip, else plain. `404` for a job that is not an export or has no file (yet), `410` once
/// the file has expired.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/file", tag = "jobs", params(("id" = i64, Path)),
    responses((status = 200, description = "The file (CSV or JSON Lines), as an attachment",
            content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn file(
    State(app): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    PathId(id): PathId,
) -> Reply<Response> {
    let job = repo::get(app.jobs.store(), id).await?;
    if job.kind != JobKind::Export {
        return Err(Error::NotFound { what: "export file of job", id: id.to_string() }.into());
    }
    principal.may(job.action())?;
    let gone = || {
        ApiError::new(
            StatusCode::GONE,
            "gone",
            format!("the file of export job {id} has expired and was deleted; start the export again"),
        )
    };
    let now = app.auth.clock().now_ms();
    let Some(file) = exports::file(app.jobs.store(), id).await? else {
        // Only the sweep deletes a file: a job that succeeded had one.
        if job.state == JobState::Succeeded {
            return Err(gone());
        }
        let message = format!("export job {id} has no file: it is {}", job.state.as_str());
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", message));
    };
    if file.expires_at <= now {
        return Err(gone());
    }
    let disposition = format!("attachment; filename=\"{}\"", file.name.replace(['"', '\\'], "_"));
    let mut response = if accepts_gzip(&headers) {
        let mut r = file.bytes.into_response();
        r.headers_mut().insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        decompressed(file.bytes).into_response()
    };
    let h = response.headers_mut();
    let typed = |v: &str| HeaderValue::from_str(v).map_err(|e| Error::Unreadable(format!("a stored file header: {e}")));
    h.insert(header::CONTENT_TYPE, typed(&file.content_type)?);
    h.insert(header::CONTENT_DISPOSITION, typed(&disposition)?);
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_is_taken_when_accepted() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            accepts_gzip(&h)
        };
        assert!(with("gzip"));
        assert!(with("br, gzip;q=0.5"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("gzip;q=0, *"));
        assert!(!with("identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
