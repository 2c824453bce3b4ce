//! `GET /api/v1/live`: the WebSocket the dashboard follows. Authenticated like any route (the
//! session cookie, whose upgrade must come from this site's Origin, or an API key header); the
//! client subscribes to the topics its permissions allow. Each connection has a bounded queue: a
//! client that does not keep up loses events, never slows anyone else, and is told how many it
//! missed (`lagged`) so it can refetch over REST. The credential is checked again every minute,
//! and may hold only so many sockets at once (`BOTFLEET_LIVE_SOCKETS_PER_CREDENTIAL`; 429 beyond).
//! When botfleet shuts down, every socket closes with 1001 (going away) at once.

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::error::ApiError;
use super::guard::{session_cookie, Caller};
use super::AppState;
use crate::auth::Principal;
use crate::error::{Error, Refusal};
use crate::live::{Subscription, Topic};

/// Messages waiting for one client's socket.
const QUEUE: usize = 256;
/// Largest message a client may send (subscriptions are small).
const MAX_INCOMING: usize = 4096;

/// Upgrades to the live WebSocket.
#[utoipa::path(get, path = "/api/v1/live", tag = "live",
    responses((status = 101, description = "WebSocket: see docs/api.md for the messages"),
              (status = 400, description = "`bad_request`: not a WebSocket upgrade request", body = super::error::ErrorBody),
              (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
              (status = 429, description = "this credential has the most live sockets allowed open (BOTFLEET_LIVE_SOCKETS_PER_CREDENTIAL)", body = super::error::ErrorBody),
              (status = 503, description = "live updates are off (DISCORD_WEBSOCKET_ENABLED=false)", body = super::error::ErrorBody)))]
pub async fn live(
    State(app): State<AppState>,
    caller: Caller,
    principal: Principal,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !app.live {
        let message = "live updates are off on this server (DISCORD_WEBSOCKET_ENABLED=false); poll the REST API";
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "live_disabled", message).into_response();
    }
    let upgrade = match upgrade {
        Ok(u) => u,
        Err(e) => return ApiError::bad_request(format!("this endpoint speaks WebSocket only: {e}")).into_response(),
    };
    if principal.via_cookie() {
        let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
        if origin.is_none_or(|o| !o.eq_ignore_ascii_case(&caller.origin)) {
            let e = Error::Refused {
                why: Refusal::CrossSite,
                message: "cross-site WebSocket refused: the Origin header is missing or is not this site's".into(),
            };
            return ApiError::from(e).into_response();
        }
    }
    let place = match app.live_sockets.open(&principal) {
        Ok(place) => place,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let cookie = if bearer.is_none() { session_cookie(&headers) } else { None };
    upgrade.max_message_size(MAX_INCOMING).on_upgrade(move |socket| async move {
        pump(socket, app, principal, bearer, cookie).await;
        drop(place);
    })
}

fn text(value: &serde_json::Value) -> Message {
    Message::Text(Utf8Bytes::from(value.to_string()))
}

/// One connection: bus → filter → bounded queue → socket; subscriptions from the client.
async fn pump(socket: WebSocket, app: AppState, principal: Principal, bearer: Option<String>, cookie: Option<String>) {
    let (mut sink, mut incoming) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let allowed = Topic::allowed(&principal);
    let _ = tx.try_send(text(&json!({"type": "hello", "user": principal.name, "topics": allowed})));
    let mut bus = app.events.subscribe();
    let mut subscription = Subscription::default();
    let mut missed: u64 = 0;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut ticks: u32 = 0;
    let mut closing = app.closing.subscribe();
    loop {
        tokio::select! {
            // (The guard `wait_for` returns is dropped inside: it must not live across an await.)
            () = async { drop(closing.wait_for(|closing| *closing).await) } => {
                let _ = tx.try_send(Message::Close(Some(axum::extract::ws::CloseFrame {
                    code: 1001,
                    reason: Utf8Bytes::from_static("botfleet is shutting down; reconnect shortly"),
                })));
                break;
            }
            received = bus.recv() => match received {
                Ok(event) if subscription.wants(&event) => {
                    if !flush_missed(&tx, &mut missed) {
                        missed += 1;
                        continue;
                    }
                    match serde_json::to_value(&event) {
                        Ok(v) => match tx.try_send(text(&v)) {
                            Ok(()) => {}
                            Err(mpsc::error::TrySendError::Full(_)) => missed += 1,
                            Err(mpsc::error::TrySendError::Closed(_)) => break,
                        },
                        Err(e) => tracing::warn!(error = %e, "a live event could not be serialised"),
                    }
                }
                Ok(_) => {}
                Err(RecvError::Lagged(n)) => missed += n,
                Err(RecvError::Closed) => break,
            },
            message = incoming.next() => match message {
                Some(Ok(Message::Text(t))) => match serde_json::from_str::<serde_json::Value>(t.as_str()) {
                    Ok(v) if v["type"] == "subscribe" => {
                        let mut body = v.clone();
                        if let Some(o) = body.as_object_mut() {
                            o.remove("type");
                        }
                        match serde_json::from_value::<Subscription>(body) {
                            Ok(s) if s.topics.iter().all(|t| allowed.contains(t)) => {
                                subscription = s;
                                let _ = tx.try_send(text(&json!({"type": "subscribed", "topics": subscription.topics, "bot_id": subscription.bot_id})));
                            }
                            Ok(_) => {
                                let _ = tx.try_send(text(&json!({"type": "error", "message": "you may not follow one of those topics", "allowed": allowed})));
                            }
                            Err(e) => {
                                let _ = tx.try_send(text(&json!({"type": "error", "message": format!("bad subscribe message: {e}")})));
                            }
                        }
                    }
                    _ => {
                        let _ = tx.try_send(text(&json!({"type": "error", "message": "send {\"type\": \"subscribe\", \"topics\": [...]}"})));
                    }
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = tick.tick() => {
                flush_missed(&tx, &mut missed);
                ticks += 1;
                if ticks.is_multiple_of(60) && !still_valid(&app, bearer.as_deref(), cookie.as_deref()).await {
                    let _ = tx.try_send(Message::Close(Some(axum::extract::ws::CloseFrame {
                        code: 4001,
                        reason: Utf8Bytes::from_static("signed out or credential no longer valid"),
                    })));
                    break;
                }
                if tx.is_closed() {
                    break;
                }
            }
        }
    }
    drop(tx);
    let _ = writer.await;
}

/// Tells the client how many events it missed, when there is room; false while the queue is full.
fn flush_missed(tx: &mpsc::Sender<Message>, missed: &mut u64) -> bool {
    if *missed == 0 {
        return true;
    }
    match tx.try_send(text(&json!({"type": "lagged", "missed": *missed}))) {
        Ok(()) => {
            *missed = 0;
            true
        }
        Err(_) => false,
    }
}

async fn still_valid(app: &AppState, bearer: Option<&str>, cookie: Option<&str>) -> bool {
    matches!(app.auth.authenticate(bearer, cookie).await, Ok(Some(_)))
}
