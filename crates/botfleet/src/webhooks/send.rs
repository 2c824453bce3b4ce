//! One attempt to deliver one message — the one sending machinery of alert channels and
//! webhooks. A Discord webhook gets its body (embeds, mentions off) at `?wait=true`; an HTTP
//! endpoint gets JSON signed with HMAC-SHA256 over `"{timestamp}.{body}"`
//! (`X-Botfleet-Signature: t=<unix seconds>,v1=<hex>`, so a receiver can refuse old or replayed
//! deliveries), with `X-Botfleet-Event` and `X-Botfleet-Delivery` (the same on every retry). A
//! failure says why (never the URL: a Discord webhook's carries its token) and, for a 429 or 503,
//! when the receiver asked to be tried again; callers retry with [`backoff`].

use std::time::Duration;

use tokio::time::Instant;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::target::ChannelKind;
use crate::secrets::Secret;

/// Where one attempt goes.
#[derive(Debug, Clone, Copy)]
pub struct To<'a> {
    pub kind: ChannelKind,
    pub url: &'a Secret,
    /// The HMAC key of an HTTP endpoint.
    pub secret: Option<&'a Secret>,
}

/// What one attempt sends.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// `X-Botfleet-Event`.
    pub event: &'a str,
    /// `X-Botfleet-Delivery`: the same on every attempt of one delivery.
    pub delivery_id: i64,
    /// The HTTP endpoint's JSON body.
    pub json: &'a [u8],
    /// The Discord webhook's body.
    pub discord: &'a Value,
}

/// An attempt that reached the receiver and was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub status: u16,
    pub took: Duration,
}

/// Why an attempt failed, the status the receiver answered (if it did), and the earliest retry
/// it asked for.
#[derive(Debug, Clone)]
pub struct Failed {
    pub why: String,
    pub status: Option<u16>,
    pub retry_after: Option<Duration>,
}

impl Failed {
    /// A failure before anything was sent.
    pub fn before_sending(why: impl Into<String>) -> Self {
        Self { why: why.into(), status: None, retry_after: None }
    }
}

/// The wait before attempt `attempts + 1`: 5 s, 10 s, 20 s … at most 10 min.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::from_secs((5u64 << exp).min(600))
}

/// The HMAC-SHA256 signature header value for `body` sent at `unix_s`.
pub fn signature(secret: &str, unix_s: i64, body: &[u8]) -> String {
    let hex = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(format!("{unix_s}.").as_bytes());
            mac.update(body);
            mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>()
        }
        Err(_) => String::new(), // HMAC takes keys of any length; unreachable.
    };
    format!("t={unix_s},v1={hex}")
}

/// A Discord webhook body with one embed (title ≤ 256, description ≤ 4,000, ≤ 25 fields of
/// ≤ 1,024 characters), mentions off.
pub fn discord_embed(
    title: &str,
    description: &str,
    colour: u32,
    fields: &[(&str, String)],
    at: &str,
    footer: &str,
) -> Value {
    let fields: Vec<Value> = fields
        .iter()
        .take(25)
        .map(|(name, value)| {
            let value: String = value.chars().take(1024).collect();
            json!({"name": name, "value": if value.is_empty() { "—".to_owned() } else { value }, "inline": true})
        })
        .collect();
    json!({
        "username": "botfleet",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": title.chars().take(256).collect::<String>(),
            "description": description.chars().take(4000).collect::<String>(),
            "color": colour,
            "fields": fields,
            "timestamp": at,
            "footer": {"text": footer},
        }],
    })
}

/// Sends `out` to `to`; `unix_s` is the signature's timestamp.
pub async fn send(http: &reqwest::Client, to: To<'_>, out: Outgoing<'_>, unix_s: i64) -> Result<Sent, Failed> {
    let request = match to.kind {
        ChannelKind::DiscordWebhook => http.post(format!("{}?wait=true", to.url.expose())).json(out.discord),
        ChannelKind::HttpWebhook => {
            let mut r = http
                .post(to.url.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Botfleet-Event", out.event)
                .header("X-Botfleet-Delivery", out.delivery_id.to_string());
            if let Some(secret) = to.secret {
                r = r.header("X-Botfleet-Signature", signature(secret.expose(), unix_s, out.json));
            }
            r.body(out.json.to_vec())
        }
    };
    let started = Instant::now();
    let response = request.send().await.map_err(|e| {
        Failed::before_sending(if e.is_timeout() {
            "the receiver did not answer in time"
        } else if e.is_connect() {
            "could not connect to the receiver"
        } else {
            "the request failed before an answer came"
        })
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(Sent { status: status.as_u16(), took: started.elapsed() });
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    Err(Failed { why: format!("the receiver answered {status}"), status: Some(status.as_u16()), retry_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_time_and_body() {
        let a = signature("0123456789abcdef", 1_700_000_000, b"{}");
        assert!(a.starts_with("t=1700000000,v1="));
        assert_eq!(a.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(a, signature("0123456789abcdef", 1_700_000_001, b"{}"));
        assert_ne!(a, signature("0123456789abcdeF", 1_700_000_000, b"{}"));
    }

    #[test]
    fn backoff_doubles_up_to_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(8), Duration::from_secs(600));
    }

    #[test]
    fn discord_bodies_stay_within_discords_limits() {
        let long = "x".repeat(5000);
        let body = discord_embed(&long, &long, 1, &[("a", long.clone())], "2026-01-01T00:00:00Z", "f");
        let embed = &body["embeds"][0];
        assert_eq!(embed["title"].as_str().map(str::len), Some(256));
        assert_eq!(embed["description"].as_str().map(str::len), Some(4000));
        assert_eq!(embed["fields"][0]["value"].as_str().map(str::len), Some(1024));
        assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    }
}
