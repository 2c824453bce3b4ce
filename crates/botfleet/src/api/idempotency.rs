//! `Idempotency-Key` on the routes that act (start, stop, restart, bulk, send-message): a script
//! that retries after a timeout gets the first answer again, with `Idempotent-Replayed: true`,
//! instead of restarting the fleet twice. A route opts in in the route table
//! (`Routes::add_idempotent`), which wraps its handler in [`Idempotent`]; without the header a
//! request is handled as if the wrapper were not there.
//!
//! The handler runs in a task of its own: a client that hangs up (its timeout) does not cancel an
//! action half done, and the answer is stored for its retry. Only 2xx and 4xx answers are stored;
//! on a 5xx or a panic the reservation is removed, so a retry acts.

use std::future::Future;
use std::pin::Pin;

use axum::body::Body;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::error::ApiError;
use super::AppState;
use crate::auth::idempotency::{self, Answer, Attempt, Claim};
use crate::auth::Principal;

/// The request header that names a request.
pub const HEADER: &str = "idempotency-key";

/// The response header a replayed answer carries.
pub const REPLAYED: &str = "idempotent-replayed";

/// The longest key accepted.
pub const KEY_MAX: usize = 255;

/// Answers longer than this are not stored (this routes' answers are a few KiB; a 1,000-bot bulk
/// about 80 KiB).
const ANSWER_LIMIT: usize = 1024 * 1024;

/// A handler whose requests with an `Idempotency-Key` act once (see the module doc).
#[derive(Clone)]
pub struct Idempotent<H>(pub H);

impl<H, T> Handler<T, AppState> for Idempotent<H>
where
    H: Handler<T, AppState>,
    T: 'static,
{
    type Future = Pin<Box<dyn Future<Output = Response> + Send>>;

    fn call(self, req: Request, state: AppState) -> Self::Future {
        Box::pin(run(self.0, req, state))
    }
}

/// The key of a request, or the 400 that says what is wrong with it; `None` without one.
pub fn key_of(req: &Request) -> Result<Option<String>, ApiError> {
    let mut values = req.headers().get_all(HEADER).iter();
    let Some(value) = values.next() else { return Ok(None) };
    let bad = |why: &str| ApiError::bad_request(format!("the Idempotency-Key header {why}"));
    if values.next().is_some() {
        return Err(bad("must be sent once"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > KEY_MAX || !bytes.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return Err(bad(&format!("must be 1 to {KEY_MAX} visible ASCII characters (no spaces)")));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

async fn run<H, T>(handler: H, req: Request, state: AppState) -> Response
where
    H: Handler<T, AppState>,
    T: 'static,
{
    let key = match key_of(&req) {
        Ok(Some(key)) => key,
        Ok(None) => return handler.call(req, state).await,
        Err(e) => return e.into_response(),
    };
    // The guard put the caller there; a route without a credential has no one to key by.
    let Some(credential) = req.extensions().get::<Principal>().map(Principal::limit_key) else {
        return handler.call(req, state).await;
    };
    let (parts, body) = req.into_parts();
    let bytes = match super::extract::bytes(Request::from_parts(parts.clone(), body), &state, "64 KiB").await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    let attempt = Attempt {
        credential,
        key,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        body_hash: hex(&Sha256::digest(&bytes)),
    };
    let now = state.auth.clock().now_ms();
    let id = match idempotency::claim(&state.store, &attempt, now).await {
        Ok(Claim::Reserved(id)) => id,
        Ok(Claim::Answered(answer)) => return replay(answer),
        Ok(Claim::InProgress) => {
            let message = "a request with this Idempotency-Key is still being processed; retry when it is done";
            return ApiError::new(StatusCode::CONFLICT, "conflict", message).into_response();
        }
        Ok(Claim::OtherRequest) => {
            let message = "this Idempotency-Key was used for another request (another method, path or body) in \
                           the last 24 hours; use a new key for a new request";
            return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", message).into_response();
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let req = Request::from_parts(parts, Body::from(bytes));
    let store = state.store.clone();
    let acting = async move {
        let response = match tokio::spawn(handler.call(req, state).in_current_span()).await {
            Ok(response) => response,
            Err(e) => {
                // The panic itself was reported by the task; the reservation must not outlive it.
                tracing::error!(error = %e, "a request handler with an Idempotency-Key failed");
                release(&store, id).await;
                return internal();
            }
        };
        keep(&store, id, response).await
    };
    // Its own task: the action and its record finish even when the client hangs up.
    match tokio::spawn(acting.in_current_span()).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "storing the answer of a request with an Idempotency-Key failed");
            internal()
        }
    }
}

/// Stores `response` as the answer of reservation `id` (2xx and 4xx), or removes the reservation.
async fn keep(store: &crate::store::Store, id: i64, response: Response) -> Response {
    let status = response.status();
    if !(status.is_success() || status.is_client_error()) {
        release(store, id).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, ANSWER_LIMIT).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::error!(error = %e, "the answer of a request with an Idempotency-Key could not be read");
            release(store, id).await;
            return internal();
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        // Not text (none of these routes answers so): not stored, so a retry acts again.
        release(store, id).await;
        return Response::from_parts(parts, Body::from(bytes));
    };
    let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let answer = Answer { status: status.as_u16(), content_type, body: text.to_owned() };
    if let Err(e) = idempotency::settle(store, id, &answer).await {
        tracing::error!(error = %e, "the answer of a request with an Idempotency-Key could not be stored");
        release(store, id).await;
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn release(store: &crate::store::Store, id: i64) {
    if let Err(e) = idempotency::release(store, id).await {
        tracing::error!(error = %e, "an Idempotency-Key reservation could not be removed; it lapses in 30 minutes");
    }
}

/// The stored answer again, marked as such.
fn replay(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.remove(CONTENT_TYPE);
    if let Some(value) = answer.content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(CONTENT_TYPE, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

fn internal() -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error; the server log says more")
        .into_response()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
