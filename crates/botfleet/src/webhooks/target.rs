//! Where a delivery goes — a Discord channel webhook or any HTTP endpoint — and how its URL and
//! signing secret are checked. Shared by the alert channels and the webhooks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::secrets::Secret;
use crate::text::{self, Lines};

/// How a target is delivered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// A Discord channel webhook (`https://discord.com/api/webhooks/{id}/{token}`): a formatted embed.
    DiscordWebhook,
    /// Any HTTPS endpoint: a JSON body signed with HMAC-SHA256 (`X-Botfleet-Signature`).
    HttpWebhook,
}

impl ChannelKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DiscordWebhook => "discord_webhook",
            Self::HttpWebhook => "http_webhook",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::DiscordWebhook, Self::HttpWebhook].into_iter().find(|k| k.as_str() == text)
    }
}

/// A checked URL: what to store sealed, and what may be shown.
#[derive(Debug, Clone)]
pub struct CheckedUrl {
    pub url: String,
    pub hint: String,
}

/// An opened target: its URL and secret in the clear, for sending only.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: ChannelKind,
    pub url: Secret,
    pub secret: Option<Secret>,
}

/// Checks a target's URL (when given) and secret for its kind, pushing what is wrong.
pub fn check(
    kind: ChannelKind,
    url: Option<&str>,
    secret: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<CheckedUrl> {
    let checked =
        url.filter(|url| text::push(errors, "url", url, Lines::Single)).and_then(|url| match check_url(kind, url) {
            Ok(c) => Some(c),
            Err(message) => {
                errors.push(FieldError::new("url", message));
                None
            }
        });
    match (kind, secret) {
        (ChannelKind::DiscordWebhook, Some(_)) => {
            errors.push(FieldError::new("secret", "a Discord webhook is not signed: leave secret out"));
        }
        (ChannelKind::HttpWebhook, Some(s)) if !(16..=256).contains(&s.chars().count()) => {
            errors.push(FieldError::new("secret", "must be 16 to 256 characters"));
        }
        (ChannelKind::HttpWebhook, Some(s)) => {
            text::push(errors, "secret", s, Lines::Single);
        }
        _ => {}
    }
    checked
}

fn check_url(kind: ChannelKind, text: &str) -> std::result::Result<CheckedUrl, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http:// or https:// URL".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    let origin = url.origin().ascii_serialization();
    match kind {
        ChannelKind::DiscordWebhook => {
            let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
            let at = segments.iter().position(|s| *s == "webhooks");
            let (id, token) = match at {
                Some(i) if segments.len() == i + 3 => (segments[i + 1], segments[i + 2]),
                _ => return Err("must be a Discord webhook URL: …/api/webhooks/{id}/{token}".into()),
            };
            if id.parse::<u64>().is_err() || token.is_empty() {
                return Err("must be a Discord webhook URL: …/api/webhooks/{id}/{token}".into());
            }
            if url.query().is_some() {
                return Err("must not have a query string (botfleet adds ?wait=true)".into());
            }
            let prefix = segments[..=at.unwrap_or(0) + 1].join("/");
            Ok(CheckedUrl { url: url.to_string(), hint: format!("{origin}/{prefix}/…") })
        }
        ChannelKind::HttpWebhook => {
            let shown = if url.query().is_some() { "?…" } else { "" };
            Ok(CheckedUrl { url: url.to_string(), hint: format!("{origin}{}{shown}", url.path()) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discord_webhook_urls_are_checked_and_hidden() {
        let c = check_url(ChannelKind::DiscordWebhook, "https://discord.com/api/webhooks/123/s3cr3t").unwrap();
        assert_eq!(c.hint, "https://discord.com/api/webhooks/123/…");
        assert!(!c.hint.contains("s3cr3t"));
        assert!(check_url(ChannelKind::DiscordWebhook, "https://discord.com/api/channels/1").is_err());
        assert!(check_url(ChannelKind::HttpWebhook, "ftp://example.com/x").is_err());
        let h = check_url(ChannelKind::HttpWebhook, "https://ops.example.com/hook?token=abc").unwrap();
        assert_eq!(h.hint, "https://ops.example.com/hook?…");
    }
}
