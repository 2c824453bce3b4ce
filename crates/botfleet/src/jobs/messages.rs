//! The messages job: announcements sent as a job, one item per message and channel (one message
//! to many channels across bots, or many messages to one channel; a scheduled run is a batch of
//! one). Each bot's messages go through its one REST client, whose rate limiter reads Discord's
//! `X-RateLimit-*` headers per bucket and keeps the bot's 50 requests/s, so a batch and the bot's
//! replies share one budget; a channel's items go one after another, in order.
//!
//! Never twice: before a message is sent, its item records that it is about to be (`sending`, with
//! the time); it is sent with the item's nonce and `enforce_nonce`, so Discord posts it at most
//! once in [`NONCE_WINDOW`]. An item found `sending` after a crash is sent again with the same
//! nonce while that window lasts, and after it is marked "unknown whether sent" for a person to
//! retry or skip (fetched messages do not carry their nonce, so nothing can tell).

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twilight_model::id::marker::ChannelMarker;
use twilight_model::id::Id;
use utoipa::ToSchema;

use super::model::Outcome;
use super::repo;
use crate::bots::model::parse_snowflake;
use crate::discord::message::{MentionRequest, MessageEmbed, Outgoing};
use crate::discord::{read_model, Failure};
use crate::error::FieldError;
use crate::fleet::Fleet;
use crate::stock::display;
use crate::stock::model::Product;
use crate::store::Store;
use crate::time::Clock;

/// How long Discord deduplicates a nonce (`enforce_nonce`): "a few minutes". A message marked
/// `sending` longer ago than this is not sent again without a person's say.
pub const NONCE_WINDOW: Duration = Duration::from_secs(120);

/// Most messages in one batch, and most items (messages × channels).
pub const MESSAGES_MAX: usize = 100;
pub const CHANNELS_MAX: usize = 500;
pub const ITEMS_MAX: usize = 10_000;

/// One message of a batch, as a person writes it. In `content`, `{stock:SKU}` and `{price:SKU}`
/// become the product's stock and price when the message is sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub content: String,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub embeds: Vec<MessageEmbed>,
    /// Who it may ping; left out, nobody (needs `bots.mention` to ping).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_mentions: Option<MentionRequest>,
}

/// Where a message goes: a channel, as one of the fleet's bots.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    pub bot_id: i64,
    /// A Discord channel id (17 to 19 digits).
    pub channel_id: String,
}

/// Messages and the channels each goes to: one item per (message, channel).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBatch {
    #[schema(min_items = 1, max_items = 100)]
    pub messages: Vec<MessageBody>,
    #[schema(min_items = 1, max_items = 500)]
    pub channels: Vec<Destination>,
}

/// One item's target, stored in `job_items.target`: `<bot>/<channel>/<message index>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub bot_id: i64,
    pub channel_id: u64,
    pub message: usize,
}

impl Target {
    pub fn to_text(self) -> String {
        format!("{}/{}/{}", self.bot_id, self.channel_id, self.message)
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('/');
        let target = Self {
            bot_id: parts.next()?.parse().ok()?,
            channel_id: parts.next()?.parse().ok()?,
            message: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(target)
    }

    /// The channel's items run one after another: this names the queue.
    pub fn channel_key(text: &str) -> Option<(i64, u64)> {
        Self::parse(text).map(|t| (t.bot_id, t.channel_id))
    }
}

impl MessageBatch {
    /// Every problem with the field named (`messages[0].content`, `channels[2].channel_id`, …).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        self.checked().map(|_| ())
    }

    fn checked(&self) -> Result<Vec<Outgoing>, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.messages.is_empty() || self.messages.len() > MESSAGES_MAX {
            errors.push(FieldError::new("messages", format!("1 to {MESSAGES_MAX} messages")));
        }
        if self.channels.is_empty() || self.channels.len() > CHANNELS_MAX {
            errors.push(FieldError::new("channels", format!("1 to {CHANNELS_MAX} channels")));
        }
        if self.messages.len() * self.channels.len() > ITEMS_MAX {
            errors.push(FieldError::new(
                "messages",
                format!(
                    "messages × channels must be at most {ITEMS_MAX} (asked for {})",
                    self.messages.len() * self.channels.len()
                ),
            ));
        }
        let mut checked = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            match Outgoing::check(&m.content, &m.embeds, m.allowed_mentions.as_ref()) {
                Ok(o) => checked.push(o),
                Err(more) => errors.extend(more.into_iter().map(|e| e.under(&format!("messages[{i}]")))),
            }
        }
        let mut seen = BTreeSet::new();
        for (i, d) in self.channels.iter().enumerate() {
            let field = format!("channels[{i}].channel_id");
            if parse_snowflake(&Value::String(d.channel_id.clone()))
                .and_then(Id::<ChannelMarker>::new_checked)
                .is_none()
            {
                errors.push(FieldError::new(field, "must be a Discord channel id (17 to 19 digits)"));
            } else if !seen.insert((d.bot_id, d.channel_id.as_str())) {
                errors.push(FieldError::new(field, "this bot and channel are listed twice"));
            }
        }
        if errors.is_empty() {
            Ok(checked)
        } else {
            Err(errors)
        }
    }

    /// Whether any message may ping (needs the `bots.mention` permission).
    pub fn pings(&self) -> bool {
        self.checked().is_ok_and(|all| all.iter().any(Outgoing::pings))
    }

    /// The bots it sends as, each once.
    pub fn bots(&self) -> BTreeSet<i64> {
        self.channels.iter().map(|d| d.bot_id).collect()
    }

    /// The SKUs its placeholders name, each once.
    pub fn skus(&self) -> BTreeSet<String> {
        self.messages.iter().flat_map(|m| placeholders(&m.content)).map(|(_, sku)| sku.to_owned()).collect()
    }

    /// One target per (message, channel), message by message, so that consecutive items go to
    /// different channels (each channel's bucket is paced on its own) and each channel gets the
    /// messages in order.
    pub fn targets(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.messages.len() * self.channels.len());
        for message in 0..self.messages.len() {
            for d in &self.channels {
                if let Some(channel_id) = parse_snowflake(&Value::String(d.channel_id.clone())) {
                    out.push(Target { bot_id: d.bot_id, channel_id, message }.to_text());
                }
            }
        }
        out
    }
}

/// `(whole placeholder, sku)` for each `{stock:SKU}` / `{price:SKU}` in `text`.
fn placeholders(text: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let Some(end) = after.find('}') else { break };
        let whole = &after[..=end];
        let inner = &whole[1..whole.len() - 1];
        if let Some(sku) = inner.strip_prefix("stock:").or_else(|| inner.strip_prefix("price:")) {
            if !sku.is_empty() {
                found.push((whole, sku));
            }
        }
        rest = &after[1..];
    }
    found
}

/// `content` with its placeholders filled from `products` (an unknown SKU is said so).
pub fn render(content: &str, products: &[Product]) -> String {
    let mut out = content.to_owned();
    for (whole, sku) in placeholders(content) {
        let product = products.iter().find(|p| p.sku == sku);
        let value = match (whole.starts_with("{stock:"), product) {
            (true, Some(p)) => p.stock.to_string(),
            (false, Some(p)) => display::price(p.price_minor, &p.currency),
            (_, None) => "?".to_owned(),
        };
        out = out.replacen(whole, &value, 1);
    }
    out
}

/// One error per placeholder naming a SKU that is not in `products` (`messages[i].content`).
pub fn unknown_skus(batch: &MessageBatch, products: &[Product]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, m) in batch.messages.iter().enumerate() {
        for (whole, sku) in placeholders(&m.content) {
            if !products.iter().any(|p| p.sku == sku) {
                errors.push(FieldError::new(
                    format!("messages[{i}].content"),
                    format!("{whole}: no product has SKU {sku}"),
                ));
            }
        }
    }
    errors
}

/// Asks Discord, as each bot, whether it can see each channel: one error per channel it cannot
/// (`{prefix}[i].channel_id`), or per bot that cannot be used (`{prefix}[i].bot_id`).
pub async fn check_channels(fleet: &Fleet, channels: &[Destination], prefix: &str) -> Vec<FieldError> {
    use futures_util::StreamExt;
    let checks: Vec<_> = channels.iter().enumerate().map(|(i, d)| check_channel(fleet, i, d, prefix)).collect();
    // A few at a time, in order (each bot's rate limiter paces its own).
    let found: Vec<Option<FieldError>> = futures_util::stream::iter(checks).buffered(8).collect().await;
    found.into_iter().flatten().collect()
}

async fn check_channel(fleet: &Fleet, i: usize, d: &Destination, prefix: &str) -> Option<FieldError> {
    let field = |name: &str| format!("{prefix}[{i}].{name}");
    let Some(channel) =
        parse_snowflake(&Value::String(d.channel_id.clone())).and_then(Id::<ChannelMarker>::new_checked)
    else {
        return Some(FieldError::new(field("channel_id"), "must be a Discord channel id (17 to 19 digits)"));
    };
    let rest = match fleet.rest(d.bot_id).await {
        Ok(rest) => rest,
        Err(e) => return Some(FieldError::new(field("bot_id"), e.to_string())),
    };
    fleet.send_slot(d.bot_id).await;
    let f = rest.meter.call(rest.http.channel(channel)).await.err()?;
    let why = match (f.status, f.code) {
        (_, Some(10003)) | (Some(404), _) => "that channel does not exist (Discord 10003 Unknown Channel)".to_owned(),
        (_, Some(50001)) | (Some(403), _) => {
            "the bot cannot see that channel (Discord 50001 Missing Access)".to_owned()
        }
        _ => format!("could not ask Discord about this channel: {}", f.message),
    };
    Some(FieldError::new(field("channel_id"), why))
}

/// The nonce of a job's item: the same on every try of that item (at most 25 characters).
pub fn nonce(job_id: i64, seq: i64) -> String {
    format!("j{job_id}.{seq}")
}

/// What an item records before it is sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sending {
    phase: String,
    since: i64,
}

/// Tries of a send that Discord did not answer (no status: a timeout, a connection cut), with the
/// same nonce, before the item is left as "unknown whether sent".
const UNANSWERED_TRIES: u32 = 4;

/// Runs one item: sends message `target.message` of `batch` to the target's channel as its bot.
#[allow(clippy::too_many_arguments)]
pub async fn run_item(
    store: &Store,
    fleet: &Fleet,
    clock: &Clock,
    job_id: i64,
    seq: i64,
    batch: &MessageBatch,
    target: &str,
) -> Outcome {
    let Some(t) = Target::parse(target) else { return Outcome::Failed(format!("{target} is not a message target")) };
    let Some(body) = batch.messages.get(t.message) else {
        return Outcome::Failed(format!("the job has no message {}", t.message + 1));
    };
    // Found "about to be sent" from an earlier run: sent again with the same nonce only while
    // Discord would deduplicate it, counted from the first send (a resend keeps that time, so
    // restarts one after another cannot stretch the window).
    let mut first_sent = None;
    match repo::item_detail(store, job_id, seq).await {
        Ok(Some(detail)) => {
            if let Ok(s) = serde_json::from_value::<Sending>(detail) {
                let age = clock.now_ms().saturating_sub(s.since);
                if s.phase == "sending" && age > NONCE_WINDOW.as_millis() as i64 {
                    return Outcome::Unknown(format!(
                        "unknown whether sent: the send began {} s ago and was cut short; Discord may have posted it. \
                         Retry to send it anyway, or skip it",
                        age / 1000
                    ));
                }
                if s.phase == "sending" {
                    first_sent = Some(s.since);
                }
            }
        }
        Ok(None) => {}
        Err(e) => return Outcome::Failed(format!("could not read the item: {e}")),
    }
    let products = if placeholders(&body.content).is_empty() {
        Vec::new()
    } else {
        match crate::stock::repo::list(store, false).await {
            Ok(p) => p,
            Err(e) => return Outcome::Failed(format!("could not read the products for its placeholders: {e}")),
        }
    };
    let content = render(&body.content, &products);
    let message = match Outgoing::check(&content, &body.embeds, body.allowed_mentions.as_ref()) {
        Ok(m) => m,
        Err(errors) => {
            let why: Vec<String> = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            return Outcome::Failed(format!("the message cannot be sent: {}", why.join("; ")));
        }
    };
    let rest = match fleet.rest(t.bot_id).await {
        Ok(rest) => rest,
        Err(e) => return Outcome::Failed(format!("bot {}: {e}", t.bot_id)),
    };
    // The channel's bucket, as Discord's last answer left it: an empty one is waited out here,
    // before the mark, so that the send leaves as soon as its slot comes (a request parked in
    // twilight's limiter would leave whenever the bucket refills, all of the bot's channels at once).
    let wait = crate::discord::message::channel_bucket_wait(&rest.http, t.channel_id).await;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let since = first_sent.unwrap_or_else(|| clock.now_ms());
    let mark = json!({"phase": "sending", "since": since});
    if let Err(e) = repo::mark_item(store, job_id, seq, &mark).await {
        return Outcome::Failed(format!("could not record that it is about to be sent: {e}"));
    }
    let nonce = nonce(job_id, seq);
    let mut last: Option<Failure> = None;
    for attempt in 0..UNANSWERED_TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
        }
        fleet.send_slot(t.bot_id).await;
        match rest.meter.call(message.send_once(&rest.http, t.channel_id, &nonce)).await {
            Ok(response) => {
                let detail = match read_model(response).await {
                    Ok(m) => {
                        json!({"bot_id": t.bot_id, "channel_id": m.channel_id.to_string(), "message_id": m.id.to_string()})
                    }
                    Err(_) => json!({"bot_id": t.bot_id, "channel_id": t.channel_id.to_string(), "message_id": null}),
                };
                return Outcome::Ok(Some(detail));
            }
            Err(f) if f.status.is_some_and(|s| (400..500).contains(&s) && s != 429) => {
                return Outcome::Failed(refused(&f));
            }
            Err(f) => last = Some(f),
        }
    }
    let why = last.map(|f| f.message).unwrap_or_default();
    Outcome::Unknown(format!(
        "unknown whether sent: Discord did not answer after {UNANSWERED_TRIES} tries ({why}); it may have been posted. \
         Retry to send it anyway (within {} s Discord keeps the first), or skip it",
        NONCE_WINDOW.as_secs()
    ))
}

/// Why Discord refused a message, in words a person acts on.
fn refused(f: &Failure) -> String {
    let why = match f.code {
        Some(10003) => "the channel does not exist (Discord 10003 Unknown Channel)".to_owned(),
        Some(50001) => "the bot cannot see the channel (Discord 50001 Missing Access)".to_owned(),
        Some(50013) => "the bot may not post in the channel (Discord 50013 Missing Permissions)".to_owned(),
        Some(code @ (20016 | 20028 | 30046)) => {
            format!("Discord refused it for now ({}, {code}); retry the item later", f.message)
        }
        Some(code) => format!("Discord refused it: {} ({code})", f.message),
        None => format!("Discord refused it: {}", f.message),
    };
    why
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(contents: &[&str], channels: &[(i64, &str)]) -> MessageBatch {
        MessageBatch {
            messages: contents.iter().map(|c| MessageBody { content: (*c).to_owned(), ..Default::default() }).collect(),
            channels: channels.iter().map(|(b, c)| Destination { bot_id: *b, channel_id: (*c).to_owned() }).collect(),
        }
    }

    #[test]
    fn targets_go_message_by_message_across_channels() {
        let b = batch(&["a", "b"], &[(1, "100000000000000001"), (2, "100000000000000002")]);
        assert_eq!(
            b.targets(),
            ["1/100000000000000001/0", "2/100000000000000002/0", "1/100000000000000001/1", "2/100000000000000002/1"]
        );
        assert_eq!(Target::parse("1/100000000000000001/1").map(|t| t.message), Some(1));
        assert_eq!(Target::parse("1/2/3/4"), None);
        assert_eq!(Target::parse("x/2/3"), None);
    }

    #[test]
    fn checks_name_the_field() {
        let long = "x".repeat(2001);
        let b = batch(&[&long], &[(1, "12"), (1, "100000000000000001"), (1, "100000000000000001")]);
        let fields: Vec<String> = b.check().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["messages[0].content", "channels[0].channel_id", "channels[2].channel_id"]);
        assert!(batch(&[], &[(1, "100000000000000001")]).check().is_err());
    }

    #[test]
    fn placeholders_are_filled_from_the_catalogue() {
        assert_eq!(
            placeholders("{stock:A} and {price:B-2} {other} {stock:}"),
            [("{stock:A}", "A"), ("{price:B-2}", "B-2")]
        );
        let b = batch(&["only {stock:GONE} left"], &[(1, "100000000000000001")]);
        assert_eq!(b.skus().into_iter().collect::<Vec<_>>(), ["GONE"]);
        assert_eq!(unknown_skus(&b, &[]).len(), 1);
        assert_eq!(render("{stock:X}", &[]), "?");
    }

    #[test]
    fn nonces_fit_discord() {
        assert!(nonce(i64::from(i32::MAX), 10_000).len() <= 25);
    }
}
