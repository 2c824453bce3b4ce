//! Talking to Discord's REST API (or the emulator): one place that turns the configured base URL
//! into a twilight-http client, and Discord's errors into words.

pub mod message;

use std::sync::Arc;
use std::time::Duration;

use twilight_http::api_error::ApiError as DiscordApiError;
use twilight_http::error::{Error as HttpError, ErrorType};
use twilight_http::Client;

use crate::error::{Error, Result};
use crate::secrets::Secret;

/// Where Discord is: `https://discord.com` in production, the emulator's `http://` URL in tests.
#[derive(Debug, Clone)]
pub struct DiscordApi {
    base: String,
    /// host:port and whether to use plain HTTP, when not discord.com itself.
    proxy: Option<(String, bool)>,
    /// The one connection pool and TLS configuration every bot's client sends through
    /// (`vendor/twilight-http`): a client per bot costs its token and rate limiter, not a pool of
    /// its own (≈ 30 KB each, with its own TLS roots and session cache).
    pool: Arc<Client>,
}

/// How long the pool keeps a connection nobody uses: a burst of commands opens as many as it needs
/// at once, and they close this long after it (the same as a bot's REST client,
/// `fleet::rest_clients`).
const POOL_IDLE: Duration = Duration::from_secs(30);

impl DiscordApi {
    /// Parses `BOTFLEET_DISCORD_API_URL`.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_pool_idle(url, POOL_IDLE)
    }

    fn with_pool_idle(url: &str, pool_idle: Duration) -> Result<Self> {
        let trimmed = url.trim().trim_end_matches('/');
        let (plain, host) = if let Some(h) = trimmed.strip_prefix("http://") {
            (true, h)
        } else if let Some(h) = trimmed.strip_prefix("https://") {
            (false, h)
        } else {
            return Err(Error::Config(format!(
                "BOTFLEET_DISCORD_API_URL must start with http:// or https:// (got {url:?})"
            )));
        };
        if host.is_empty() || host.contains('/') {
            return Err(Error::Config(format!(
                "BOTFLEET_DISCORD_API_URL must be a scheme and host only, like https://discord.com (got {url:?})"
            )));
        }
        let proxy = (host != "discord.com").then(|| (host.to_owned(), plain));
        // No rate limiter: this client only lends its connections and never sends.
        let pool = Arc::new(Client::builder().ratelimiter(None).pool_idle_timeout(pool_idle).build());
        Ok(Self { base: trimmed.to_owned(), proxy, pool })
    }

    /// The configured base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A REST client for one bot token, sending over the shared connection pool; every request
    /// times out after 10 s (twilight-http retries 429s by itself, so callers wrap whole operations
    /// in a timeout too).
    pub fn client(&self, token: &Secret) -> Client {
        let mut builder = Client::builder()
            .token(token.expose().to_owned())
            .timeout(Duration::from_secs(10))
            .share_connections_with(&self.pool);
        if let Some((host, plain)) = &self.proxy {
            builder = builder.proxy(host.clone(), *plain);
        }
        builder.build()
    }
}

/// A Discord REST failure in words: HTTP status and Discord's error code when there is one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub status: Option<u16>,
    pub code: Option<u64>,
    pub message: String,
    /// The server answered, but not with Discord's JSON (a wrong `BOTFLEET_DISCORD_API_URL`, a
    /// proxy's error page): [`DiscordApi::describe_answer`] says what it answered.
    pub not_discord: bool,
}

impl Failure {
    /// A call botfleet did not send, and why (no status: Discord never saw it).
    pub fn held_back(why: impl Into<String>) -> Self {
        Self::new(None, None, why)
    }

    /// A failure with a status, Discord's code and words.
    fn new(status: Option<u16>, code: Option<u64>, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), not_discord: false }
    }

    /// Describes a twilight-http error without echoing request details.
    pub fn from_http(e: &HttpError) -> Self {
        match e.kind() {
            ErrorType::Response { status, error, .. } => {
                let (code, text) = match error {
                    DiscordApiError::General(g) => (Some(g.code), g.message.clone()),
                    DiscordApiError::Ratelimited(r) => {
                        (None, format!("rate limited; retry after {:.1} s", r.retry_after))
                    }
                    _ => (None, "Discord refused the request".to_owned()),
                };
                Self::new(Some(status.get()), code, text)
            }
            ErrorType::Parsing { body } => Self::unreadable(None, body),
            ErrorType::Unauthorized => Self::new(Some(401), Some(0), "401: Unauthorized"),
            ErrorType::RequestTimedOut => Self::timed_out(),
            _ => Self::new(None, None, "Discord could not be reached"),
        }
    }

    /// An answer that is not Discord's JSON (an error body, or a success body that does not read
    /// as the model asked for): its first bytes, in words.
    pub fn unreadable(status: Option<u16>, body: &[u8]) -> Self {
        let shown = first_bytes(body);
        let status_text = status.map(|s| format!(" {s}")).unwrap_or_default();
        Self {
            not_discord: true,
            ..Self::new(
                status,
                None,
                format!("the server answered{status_text} with something that is not Discord's JSON: {shown}"),
            )
        }
    }

    /// A timeout of the whole operation.
    pub fn timed_out() -> Self {
        Self::new(None, None, "Discord did not answer in time")
    }
}

/// The model a successful answer carries. An answer that does not read as one is "not Discord's
/// JSON" (with its status and first bytes), never a time-out or "unreachable".
pub async fn read_model<T: serde::de::DeserializeOwned>(response: twilight_http::Response<T>) -> Result<T, Failure> {
    read_json(response).await
}

/// The list a successful answer carries ([`read_model`] for the routes that answer a list).
pub async fn read_models<T: serde::de::DeserializeOwned>(
    response: twilight_http::Response<twilight_http::response::marker::ListBody<T>>,
) -> Result<Vec<T>, Failure> {
    read_json(response).await
}

/// An answer's body read as `T`, whatever twilight's marker for it.
async fn read_json<T: serde::de::DeserializeOwned, M>(response: twilight_http::Response<M>) -> Result<T, Failure> {
    let status = response.status().get();
    let body = response
        .bytes()
        .await
        .map_err(|_| Failure::new(Some(status), None, "the server's answer ended before it could be read"))?;
    serde_json::from_slice(&body).map_err(|_| Failure::unreadable(Some(status), &body))
}

/// At most 120 characters of a body, as text, quoted (`(empty)` for none).
fn first_bytes(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty)".to_owned();
    }
    let text = String::from_utf8_lossy(body);
    let mut shown: String = text.chars().take(120).map(|c| if c.is_control() { ' ' } else { c }).collect();
    if text.chars().nth(120).is_some() {
        shown.push('…');
    }
    format!("{shown:?}")
}

impl DiscordApi {
    /// What the server at the configured URL answers to `GET path` (an API path such as
    /// `/api/v10/gateway/bot`) with this token: the status, content type, first bytes and the path
    /// asked, in words. Asked only after an answer that was not Discord's JSON, so that a
    /// misconfigured `BOTFLEET_DISCORD_API_URL` or a proxy in the way is found in seconds.
    pub async fn describe_answer(&self, token: &Secret, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        let asked = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map(|client| client.get(&url).header("Authorization", format!("Bot {}", token.expose())));
        let answer = match asked {
            Ok(request) => request.send().await,
            Err(e) => return format!("GET {path} could not be asked ({e})"),
        };
        match answer {
            Ok(response) => {
                let status = response.status().as_u16();
                let kind = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("no content type")
                    .to_owned();
                let body = response.bytes().await.unwrap_or_default();
                format!(
                    "{} answered GET {path} with {status} ({kind}): {}; is BOTFLEET_DISCORD_API_URL right?",
                    self.base,
                    first_bytes(&body)
                )
            }
            Err(e) => format!("{} did not answer GET {path}: {}", self.base, without_url(&e)),
        }
    }
}

/// A reqwest error's words without the URL it carries (it may hold nothing secret, but the
/// message names the base URL once already).
fn without_url(e: &reqwest::Error) -> String {
    let mut words = e.to_string();
    if let Some(url) = e.url() {
        words = words.replace(url.as_str(), "");
    }
    words.trim().trim_end_matches(" ()").to_owned()
}

/// A message that Discord creates at most once per nonce: `POST /channels/{id}/messages` with
/// `nonce` and `enforce_nonce: true`, so that the same author sending the same nonce again within
/// a few minutes gets the first message back and nothing new is posted. twilight-http 0.18's
/// `CreateMessage` has `nonce` but not `enforce_nonce`, so the body is sent through its raw
/// request path.
#[derive(Debug, serde::Serialize)]
pub struct OnceMessage<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub content: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub embeds: &'a [twilight_model::channel::message::Embed],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub components: &'a [twilight_model::channel::message::Component],
    pub allowed_mentions: &'a twilight_model::channel::message::AllowedMentions,
    /// The message this one replies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_reference: Option<twilight_model::channel::message::MessageReference>,
    /// At most 25 characters (Discord's rule); derived from the event answered.
    pub nonce: &'a str,
    pub enforce_nonce: bool,
}

impl OnceMessage<'_> {
    /// Sends it to `channel_id` with `http` (the bot's client and its rate limiter).
    pub async fn send(
        &self,
        http: &Client,
        channel_id: u64,
    ) -> Result<twilight_http::Response<twilight_model::channel::Message>, HttpError> {
        let request =
            twilight_http::request::Request::builder(&twilight_http::routing::Route::CreateMessage { channel_id })
                .json(self)
                .build()?;
        http.request(request).await
    }
}

/// The nonce of a reply to the message `message_id`: the message id itself. Discord compares
/// nonces per author (the bot), so the bot and the message together are the event answered, and
/// a replayed event's reply is the first reply.
pub fn reply_nonce(message_id: u64) -> String {
    message_id.to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A server that answers every request on a connection with `GET /gateway`'s body, keeping the
    /// connection open, and counts the connections it accepted.
    /// A server that answers every request with a gateway URL; counts the connections it
    /// accepted and those the client closed.
    async fn counting_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let (accepted, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (counted, closes) = (accepted.clone(), closed.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let closes = closes.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let body = r#"{"url":"wss://gateway.example"}"#;
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    // One request per read is enough for these small sequential requests.
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 || socket.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                    closes.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        (url, accepted, closed)
    }

    /// Every bot's client sends over one pool: two bots calling one after the other use one
    /// connection (a pool per client opened one each, with its own TLS configuration).
    #[tokio::test]
    async fn the_clients_of_different_bots_share_one_connection_pool() {
        let (url, accepted, _) = counting_server().await;
        let api = DiscordApi::new(&url).expect("a valid URL");
        for token in ["token-a", "token-b", "token-c"] {
            let client = api.client(&Secret::new(token));
            let answer = client.gateway().await.expect("the server answers");
            assert_eq!(answer.status().get(), 200);
            answer.bytes().await.expect("the body");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "three bots' calls, one connection");
    }

    /// A connection left idle is closed by the pool itself (`vendor/twilight-http`,
    /// `pool_idle_timeout`): upstream's pool had no timer, so the connections a burst opened stayed
    /// open until the next request.
    #[tokio::test]
    async fn the_pool_closes_a_connection_left_idle() {
        let (url, accepted, closed) = counting_server().await;
        let api = DiscordApi::with_pool_idle(&url, Duration::from_millis(100)).expect("a valid URL");
        let client = api.client(&Secret::new("token-a"));
        let answer = client.gateway().await.expect("the server answers");
        answer.bytes().await.expect("the body");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while closed.load(Ordering::SeqCst) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "the idle connection is still open");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(client);
    }
}
