//! What an alert notification says to a channel: the JSON message below for an HTTP webhook
//! (signed), a formatted embed for a Discord webhook. Both are rendered when a delivery is queued
//! on the one delivery queue (`webhooks`), which sends and retries it; `send` is the one direct
//! attempt made while the database is away.

use serde::Serialize;

use super::model::ChannelKind;
use super::repo::{Destination, Incident};
pub use crate::webhooks::send::Failed;
use crate::webhooks::send::{self, Outgoing, To};

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
        fields.push(("Rule", i.rule_name.clone()));
        fields.push(("Subject", i.subject_label.clone()));
        fields.push(("Since", i.started_at.clone()));
        if let Some(by) = &i.acknowledged_by {
            fields.push(("Acknowledged by", by.clone()));
        }
    }
    send::discord_embed(&m.title, &m.detail, colour(&m.kind), &fields, &m.at, &format!("botfleet · {}", m.kind))
}

/// The HTTP body and the Discord body of `m`, as stored with its delivery.
pub fn render(m: &Message) -> crate::error::Result<(String, String)> {
    let json = serde_json::to_string(m)
        .map_err(|e| crate::error::Error::Unreadable(format!("an alert message could not be written: {e}")))?;
    Ok((json, discord_body(m).to_string()))
}

/// Sends `m` to `to`; `unix_s` is the signature's timestamp.
pub async fn send(http: &reqwest::Client, to: &Destination, m: &Message, unix_s: i64) -> Result<(), Failed> {
    let json = serde_json::to_vec(m).map_err(|e| Failed::before_sending(e.to_string()))?;
    let discord = match to.kind {
        ChannelKind::DiscordWebhook => discord_body(m),
        ChannelKind::HttpWebhook => serde_json::Value::Null,
    };
    let target = To { kind: to.kind, url: &to.url, secret: to.secret.as_ref() };
    let out = Outgoing { event: &m.kind, delivery_id: m.delivery_id, json: &json, discord: &discord };
    send::send(http, target, out, unix_s).await.map(|_| ())
}
