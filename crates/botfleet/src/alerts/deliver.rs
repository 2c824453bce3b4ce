//! Sending one notification to one channel: a Discord webhook gets a formatted embed; an HTTP
//! webhook gets JSON signed with HMAC-SHA256 over `"{timestamp}.{body}"`
//! (`X-Botfleet-Signature: t=<unix seconds>,v1=<hex>`). A failure says why and, for a 429, when
//! to try again; the caller retries with backoff.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;

use super::model::ChannelKind;
use super::repo::{Destination, Incident};

/// Most attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// What is sent.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// `firing`, `resent`, `recovered`, `acknowledged` or `test`.
    #[serde(rename = "type")]
    pub kind: String,
    pub notification_id: i64,
    pub delivery_id: i64,
    /// RFC 3339.
    pub at: String,
    pub title: String,
    pub detail: String,
    pub incident: Option<Incident>,
}

/// Why an attempt failed, and the earliest retry the receiver asked for.
#[derive(Debug, Clone)]
pub struct Failed {
    pub why: String,
    pub retry_after: Option<Duration>,
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

fn colour(kind: &str) -> u32 {
    match kind {
        "firing" | "resent" => 0xE5_484D,
        "recovered" => 0x30_A46C,
        "acknowledged" => 0xF5_A524,
        _ => 0x58_65F2,
    }
}

/// The Discord webhook body: one embed, mentions off.
fn discord_body(m: &Message) -> serde_json::Value {
    let mut fields = Vec::new();
    if let Some(i) = &m.incident {
        fields.push(json!({"name": "Rule", "value": i.rule_name, "inline": true}));
        fields.push(json!({"name": "Subject", "value": i.subject_label, "inline": true}));
        fields.push(json!({"name": "Since", "value": i.started_at, "inline": true}));
        if let Some(by) = &i.acknowledged_by {
            fields.push(json!({"name": "Acknowledged by", "value": by, "inline": true}));
        }
    }
    let title: String = m.title.chars().take(256).collect();
    let detail: String = m.detail.chars().take(4000).collect();
    json!({
        "username": "botfleet",
        "allowed_mentions": {"parse": []},
        "embeds": [{
            "title": title,
            "description": detail,
            "color": colour(&m.kind),
            "fields": fields,
            "timestamp": m.at,
            "footer": {"text": format!("botfleet · {}", m.kind)},
        }],
    })
}

/// Sends `m` to `to`; `unix_s` is the signature's timestamp.
pub async fn send(http: &reqwest::Client, to: &Destination, m: &Message, unix_s: i64) -> Result<(), Failed> {
    let request = match to.kind {
        ChannelKind::DiscordWebhook => {
            let url = format!("{}?wait=true", to.url.expose());
            http.post(url).json(&discord_body(m))
        }
        ChannelKind::HttpWebhook => {
            let body = serde_json::to_vec(m).map_err(|e| Failed { why: e.to_string(), retry_after: None })?;
            let mut r = http
                .post(to.url.expose())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("X-Botfleet-Event", m.kind.clone())
                .header("X-Botfleet-Delivery", m.delivery_id.to_string());
            if let Some(secret) = &to.secret {
                r = r.header("X-Botfleet-Signature", signature(secret.expose(), unix_s, &body));
            }
            r.body(body)
        }
    };
    let response = request.send().await.map_err(|e| Failed {
        // Never the URL: a Discord webhook's carries its token.
        why: if e.is_timeout() {
            "the receiver did not answer within 10 s".into()
        } else if e.is_connect() {
            "could not connect to the receiver".into()
        } else {
            "the request failed before an answer came".into()
        },
        retry_after: None,
    })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)));
    Err(Failed { why: format!("the receiver answered {status}"), retry_after })
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
}
