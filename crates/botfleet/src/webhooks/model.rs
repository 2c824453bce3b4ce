//! What a webhook is: the events it subscribes to, its filters, its target; how a request to make
//! or change one is checked; and how it and its deliveries are shown (never its URL in full or its
//! secret).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::target::{self, ChannelKind, CheckedUrl};
use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};

/// A kind of event a webhook may subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// A bot's status changed (`running`, `reconnecting`, `failed`, …).
    BotStatus,
    /// A command was answered, failed or was denied (filter by bot, command, outcome).
    Command,
    /// A product's stock, visibility or details changed, or it was deleted.
    Stock,
    /// An action was audited (who changed what, old → new).
    Audit,
    /// A background job finished (succeeded, failed, partial or cancelled).
    Job,
    /// An alert fired, was sent again, recovered or was acknowledged.
    Alert,
}

impl EventType {
    pub const ALL: [Self; 6] = [Self::BotStatus, Self::Command, Self::Stock, Self::Audit, Self::Job, Self::Alert];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BotStatus => "bot_status",
            Self::Command => "command",
            Self::Stock => "stock",
            Self::Audit => "audit",
            Self::Job => "job",
            Self::Alert => "alert",
        }
    }
}

/// A command's outcome, as a filter.
const OUTCOMES: [&str; 3] = ["ok", "error", "denied"];

/// `POST /webhooks`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// 1 to 100 characters, no spaces around it; unique.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    pub kind: ChannelKind,
    /// Where to deliver. Stored encrypted and never shown again in full.
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub url: String,
    /// `http_webhook`: the HMAC-SHA256 key (16 to 256 characters), write-only. Without one the
    /// body is not signed.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub secret: Option<String>,
    /// At least one.
    #[schema(min_items = 1)]
    pub events: Vec<EventType>,
    #[serde(default)]
    pub filters: Filters,
}

/// `PUT /webhooks/{id}`: everything but the URL and secret, which stay when left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    /// The version this change was made from (409 when someone changed it since).
    #[schema(minimum = 1)]
    pub version: i64,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// A new URL (of the same kind); left out: kept.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub url: Option<String>,
    /// A new secret; left out: kept.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub secret: Option<String>,
    #[schema(min_items = 1)]
    pub events: Vec<EventType>,
    #[serde(default)]
    pub filters: Filters,
}

/// Which events of the subscribed kinds are delivered (each left out or `null`: all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    /// Only these bots' events (bot status, commands, audit rows about them, their alerts).
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub bot_ids: Option<Vec<i64>>,
    /// Only these commands (by name, e.g. `stock`).
    #[serde(default)]
    #[schema(max_items = 100)]
    pub commands: Option<Vec<String>>,
    /// Only commands with these outcomes: `ok`, `error`, `denied`.
    #[serde(default)]
    #[schema(max_items = 3)]
    pub outcomes: Option<Vec<String>>,
}

/// A webhook as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// The URL without its secret parts.
    pub target: String,
    pub has_secret: bool,
    pub events: Vec<EventType>,
    pub filters: Filters,
    /// `active` or `paused`.
    pub state: String,
    /// Why it is paused.
    pub paused_reason: Option<String>,
    /// Failed attempts since the last success.
    pub failures_in_a_row: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// One delivery: an event for a webhook, and how its attempts went.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    pub webhook_id: i64,
    /// An [`EventType`], or `test`.
    pub event_type: String,
    /// The event's own id (the same on every attempt).
    pub event_id: String,
    /// `pending`, `sent` or `failed` (given up).
    pub state: String,
    pub attempts: i64,
    /// When the next attempt is due (pending).
    pub next_attempt_at: Option<String>,
    /// The receiver's last HTTP status, if it answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// How long the last attempt took.
    pub duration_ms: Option<i64>,
    pub created_at: String,
    pub sent_at: Option<String>,
    /// What is sent to an HTTP endpoint.
    pub payload: Value,
}

/// "Send test": whether the receiver took it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TestResult {
    pub delivered: bool,
    pub status: Option<u16>,
    /// Why not, when it was not.
    pub error: Option<String>,
    /// The delivery, in the history.
    pub delivery_id: i64,
}

/// A checked create or update.
#[derive(Debug, Clone)]
pub struct Checked {
    pub name: String,
    pub url: Option<CheckedUrl>,
    pub secret: Option<String>,
    pub events: Vec<EventType>,
    pub filters: Filters,
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.trim() != name {
        errors.push(FieldError::new("name", "must be 1 to 100 characters, without spaces around it"));
    } else {
        text::push(errors, "name", name, Lines::Single);
    }
}

fn check_events(events: &[EventType], errors: &mut Vec<FieldError>) -> Vec<EventType> {
    if events.is_empty() {
        errors.push(FieldError::new("events", "name at least one event type"));
    }
    let mut out: Vec<EventType> = EventType::ALL.into_iter().filter(|e| events.contains(e)).collect();
    out.dedup();
    out
}

fn check_filters(f: &Filters, errors: &mut Vec<FieldError>) -> Filters {
    if let Some(bots) = &f.bot_ids {
        if bots.iter().any(|b| *b < 1) || bots.len() > 1000 {
            errors.push(FieldError::new("filters.bot_ids", "must be up to 1,000 bot ids"));
        }
    }
    if let Some(commands) = &f.commands {
        let bad = commands.iter().any(|c| {
            c.is_empty()
                || c.chars().count() > 32
                || !c.chars().all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '-')
        });
        if bad || commands.len() > 100 {
            errors.push(FieldError::new(
                "filters.commands",
                "must be up to 100 command names (1 to 32 letters, digits, - or _)",
            ));
        }
    }
    if let Some(outcomes) = &f.outcomes {
        if outcomes.iter().any(|o| !OUTCOMES.contains(&o.as_str())) {
            errors.push(FieldError::new("filters.outcomes", "each must be ok, error or denied"));
        }
    }
    let sorted = |list: &Option<Vec<String>>| {
        list.as_ref().map(|l| {
            let mut l = l.clone();
            l.sort();
            l.dedup();
            l
        })
    };
    let bot_ids = f.bot_ids.as_ref().map(|b| {
        let mut b = b.clone();
        b.sort_unstable();
        b.dedup();
        b
    });
    Filters { bot_ids, commands: sorted(&f.commands), outcomes: sorted(&f.outcomes) }
}

fn done<T>(errors: Vec<FieldError>, value: T) -> Result<T> {
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(Error::Validation(errors))
    }
}

/// Checks a `POST /webhooks` body (422 naming each bad field).
pub fn check_create(req: &CreateWebhook) -> Result<Checked> {
    let mut errors = Vec::new();
    check_name(&req.name, &mut errors);
    let url = target::check(req.kind, Some(&req.url), req.secret.as_deref(), &mut errors);
    if req.kind == ChannelKind::HttpWebhook && req.secret.is_none() {
        errors.push(FieldError::new("secret", "an HTTP webhook needs a signing secret (16 to 256 characters)"));
    }
    let events = check_events(&req.events, &mut errors);
    let filters = check_filters(&req.filters, &mut errors);
    done(errors, Checked { name: req.name.clone(), url, secret: req.secret.clone(), events, filters })
}

/// Checks a `PUT /webhooks/{id}` body against the webhook's kind.
pub fn check_update(kind: ChannelKind, req: &UpdateWebhook) -> Result<Checked> {
    let mut errors = Vec::new();
    check_name(&req.name, &mut errors);
    let url = target::check(kind, req.url.as_deref(), req.secret.as_deref(), &mut errors);
    let events = check_events(&req.events, &mut errors);
    let filters = check_filters(&req.filters, &mut errors);
    done(errors, Checked { name: req.name.clone(), url, secret: req.secret.clone(), events, filters })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked_and_kept_in_order() {
        let req = CreateWebhook {
            name: "Orders".into(),
            kind: ChannelKind::HttpWebhook,
            url: "https://example.com/hook".into(),
            secret: Some("0123456789abcdef".into()),
            events: vec![EventType::Stock, EventType::Command, EventType::Stock],
            filters: Filters { bot_ids: Some(vec![3, 1, 3]), commands: Some(vec!["stock".into()]), outcomes: None },
        };
        let c = check_create(&req).unwrap();
        assert_eq!(c.events, [EventType::Command, EventType::Stock]);
        assert_eq!(c.filters.bot_ids, Some(vec![1, 3]));
        let bad = CreateWebhook {
            events: vec![],
            filters: Filters { outcomes: Some(vec!["maybe".into()]), ..Filters::default() },
            ..req
        };
        let Err(Error::Validation(fields)) = check_create(&bad) else { panic!("refused") };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["events", "filters.outcomes"]);
    }
}
