//! Talking to Discord's REST API (or the emulator): one place that turns the configured base URL
//! into a twilight-http client, and Discord's errors into words.

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
}

impl DiscordApi {
    /// Parses `BOTFLEET_DISCORD_API_URL`.
    pub fn new(url: &str) -> Result<Self> {
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
        Ok(Self { base: trimmed.to_owned(), proxy })
    }

    /// The configured base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// A REST client for one bot token; every request times out after 10 s (twilight-http retries
    /// 429s by itself, so callers wrap whole operations in a timeout too).
    pub fn client(&self, token: &Secret) -> Client {
        let mut builder = Client::builder().token(token.expose().to_owned()).timeout(Duration::from_secs(10));
        if let Some((host, plain)) = &self.proxy {
            builder = builder.proxy(host.clone(), *plain);
        }
        builder.build()
    }
}

/// A Discord REST failure in words: HTTP status and Discord's error code when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub code: Option<u64>,
    pub message: String,
}

impl Failure {
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
                Self { status: Some(status.get()), code, message: text }
            }
            ErrorType::Unauthorized => Self { status: Some(401), code: Some(0), message: "401: Unauthorized".into() },
            ErrorType::RequestTimedOut => {
                Self { status: None, code: None, message: "Discord did not answer in time".into() }
            }
            _ => Self { status: None, code: None, message: "Discord could not be reached".into() },
        }
    }

    /// A timeout of the whole operation.
    pub fn timed_out() -> Self {
        Self { status: None, code: None, message: "Discord did not answer in time".into() }
    }
}
