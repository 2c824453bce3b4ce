//! From an event on the bus to what a webhook is sent: the event's type and own id (the
//! delivery's identity, so queuing it twice is one delivery), what it is about (a bot, a command,
//! an outcome — what filters look at), the JSON body an HTTP endpoint gets, and the embed a Discord
//! webhook gets (made from that body when sent).
//!
//! The body: `{"id": <event id>, "type": <event type>, "at": <RFC 3339>, "data": {…}}`.

use serde_json::{json, Value};

use super::model::{EventType, Filters, WebhookView};
use super::send::discord_embed;
use crate::events::Event;
use crate::time::rfc3339;

/// An event as webhooks see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Happened {
    pub event_type: EventType,
    pub event_id: String,
    pub bot_id: Option<i64>,
    pub command: Option<String>,
    pub outcome: Option<String>,
    /// The HTTP endpoint's body.
    pub body: Value,
}

/// A finished job's states.
const FINISHED: [&str; 4] = ["succeeded", "failed", "partial", "cancelled"];

/// What webhooks make of `event` at `now_ms` (`None`: nothing they deliver).
pub fn happened(event: &Event, now_ms: i64) -> Option<Happened> {
    let at = rfc3339(now_ms);
    let (event_type, event_id, bot_id, command, outcome, data) = match event {
        Event::BotStatus { bot_id, status, reason } => (
            EventType::BotStatus,
            format!("bot_status:{bot_id}:{status}:{now_ms}"),
            Some(*bot_id),
            None,
            None,
            json!({"bot_id": bot_id, "status": status, "reason": reason}),
        ),
        Event::Command(c) => (
            EventType::Command,
            format!("command:{}:{}", c.bot_id, c.event_id),
            Some(c.bot_id),
            Some(c.command.clone()),
            Some(c.outcome.to_string()),
            serde_json::to_value(c).ok()?,
        ),
        Event::Stock(s) => (
            EventType::Stock,
            format!("stock:{}:{}{}", s.product.id, s.product.version, if s.deleted { ":deleted" } else { "" }),
            None,
            None,
            None,
            json!({"product": s.product, "deleted": s.deleted}),
        ),
        Event::Audit(a) => (
            EventType::Audit,
            format!("audit:{}", a.id),
            (a.target_type == "bot").then(|| a.target_id.parse().ok()).flatten(),
            None,
            None,
            serde_json::to_value(a).ok()?,
        ),
        Event::Job(j) if FINISHED.contains(&j.state.as_str()) => {
            (EventType::Job, format!("job:{}:{}", j.id, j.state), None, None, None, serde_json::to_value(j).ok()?)
        }
        Event::Alert(a) => (
            EventType::Alert,
            format!(
                "alert:{}:{}:{}",
                a.incident.id,
                a.kind,
                a.incident.last_sent_at.as_deref().unwrap_or(&a.incident.started_at)
            ),
            a.incident.bot_id,
            None,
            None,
            json!({"kind": a.kind, "incident": a.incident}),
        ),
        Event::Job(_) | Event::BotLog(_) | Event::Fleet(_) => return None,
    };
    let body = json!({"id": event_id, "type": event_type.as_str(), "at": at, "data": data});
    Some(Happened { event_type, event_id, bot_id, command, outcome, body })
}

/// Whether a webhook wants an event: one of its types, and its filters pass (a filter applies to
/// the events it can judge: the bot filter to events about a bot, the command and outcome
/// filters to commands).
pub fn wants(webhook: &WebhookView, h: &Happened) -> bool {
    if !webhook.events.contains(&h.event_type) {
        return false;
    }
    let Filters { bot_ids, commands, outcomes } = &webhook.filters;
    let pass = |filter: &Option<Vec<String>>, value: &Option<String>| match (filter, value) {
        (Some(list), Some(v)) => list.iter().any(|x| x == v),
        _ => true,
    };
    let bot_ok = match (bot_ids, h.bot_id) {
        (Some(list), Some(bot)) => list.contains(&bot),
        _ => true,
    };
    bot_ok && pass(commands, &h.command) && pass(outcomes, &h.outcome)
}

/// The test message "Send test" delivers.
pub fn test_body(webhook: &WebhookView, now_ms: i64) -> (String, Value) {
    let id = format!("test:{}:{now_ms}", webhook.id);
    let body = json!({
        "id": id,
        "type": "test",
        "at": rfc3339(now_ms),
        "data": {"webhook": webhook.name, "message": "A test from botfleet: this webhook works."},
    });
    (id, body)
}

fn colour(body: &Value) -> u32 {
    let data = &body["data"];
    match body["type"].as_str().unwrap_or_default() {
        "bot_status" => match data["status"].as_str() {
            Some("running") => 0x30_A46C,
            Some("failed") => 0xE5_484D,
            _ => 0xF5_A524,
        },
        "command" if data["outcome"] == "ok" => 0x30_A46C,
        "command" => 0xE5_484D,
        "alert" if data["kind"] == "recovered" => 0x30_A46C,
        "alert" => 0xE5_484D,
        _ => 0x58_65F2,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// The Discord webhook body for an HTTP body: one embed saying what happened.
pub fn discord_body(body: &Value) -> Value {
    let data = &body["data"];
    let kind = body["type"].as_str().unwrap_or("event");
    let (title, description, fields): (String, String, Vec<(&str, String)>) = match kind {
        "bot_status" => (
            format!("Bot {} is {}", text(&data["bot_id"]), text(&data["status"])),
            data["reason"].as_str().unwrap_or_default().to_owned(),
            vec![],
        ),
        "command" => (
            format!("{} ran {}", text(&data["user_name"]), text(&data["command"])),
            data["response"].as_str().unwrap_or_default().to_owned(),
            vec![
                ("Bot", text(&data["bot_id"])),
                ("Outcome", text(&data["outcome"])),
                ("Latency (ms)", text(&data["latency_ms"])),
            ],
        ),
        "stock" => {
            let p = &data["product"];
            let what = if data["deleted"] == true { "deleted" } else { "changed" };
            (
                format!("{} {what}", text(&p["name"])),
                String::new(),
                vec![
                    ("SKU", text(&p["sku"])),
                    ("Stock", text(&p["stock"])),
                    ("Availability", text(&p["availability"])),
                ],
            )
        }
        "audit" => (
            format!("{} by {}", text(&data["action"]), text(&data["actor"])),
            data["changes"].to_string().chars().take(1000).collect(),
            vec![("Target", format!("{} {}", text(&data["target_type"]), text(&data["target_id"])))],
        ),
        "job" => (
            format!("Job {} ({}) {}", text(&data["id"]), text(&data["kind"]), text(&data["state"])),
            String::new(),
            vec![("Done", text(&data["done"])), ("Failed", text(&data["failed"])), ("Total", text(&data["total"]))],
        ),
        "alert" => {
            let i = &data["incident"];
            (
                format!("{}: {}", text(&i["rule_name"]), text(&data["kind"])),
                text(&i["detail"]),
                vec![("Subject", text(&i["subject_label"])), ("Since", text(&i["started_at"]))],
            )
        }
        _ => (
            "botfleet test".to_owned(),
            data["message"].as_str().unwrap_or_default().to_owned(),
            vec![("Webhook", text(&data["webhook"]))],
        ),
    };
    let at = body["at"].as_str().unwrap_or_default();
    discord_embed(&title, &description, colour(body), &fields, at, &format!("botfleet · {kind}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{CommandEvent, JobEvent};
    use crate::webhooks::target::ChannelKind;

    fn command(bot_id: i64, name: &str, outcome: &'static str) -> Event {
        Event::Command(CommandEvent {
            bot_id,
            event_id: "1300000000000000000".into(),
            received_at: rfc3339(0),
            user_id: "5".into(),
            user_name: "alice".into(),
            guild_id: None,
            channel_id: "6".into(),
            command: name.into(),
            arguments: String::new(),
            kind: "slash".into(),
            outcome: outcome.into(),
            latency_ms: Some(3.0),
            response: "pong".into(),
        })
    }

    fn webhook(events: Vec<EventType>, filters: Filters) -> WebhookView {
        WebhookView {
            id: 1,
            name: "w".into(),
            kind: ChannelKind::HttpWebhook,
            target: String::new(),
            has_secret: false,
            events,
            filters,
            state: "active".into(),
            paused_reason: None,
            failures_in_a_row: 0,
            version: 1,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn filters_narrow_commands_by_bot_name_and_outcome() {
        let filters = Filters {
            bot_ids: Some(vec![1]),
            commands: Some(vec!["stock".into()]),
            outcomes: Some(vec!["error".into()]),
        };
        let w = webhook(vec![EventType::Command, EventType::Job], filters);
        let h = |e: &Event| happened(e, 0).unwrap();
        assert!(wants(&w, &h(&command(1, "stock", "error"))));
        assert!(!wants(&w, &h(&command(2, "stock", "error"))), "another bot");
        assert!(!wants(&w, &h(&command(1, "ping", "error"))), "another command");
        assert!(!wants(&w, &h(&command(1, "stock", "ok"))), "another outcome");
        let job = Event::Job(JobEvent {
            id: 4,
            kind: "bots_bulk".into(),
            state: "succeeded".into(),
            total: 1,
            done: 1,
            failed: 0,
            cancel_requested: false,
        });
        assert!(wants(&w, &h(&job)), "the command filters do not judge jobs");
        let running = Event::Job(JobEvent {
            state: "running".into(),
            ..match job {
                Event::Job(j) => j,
                _ => unreachable!(),
            }
        });
        assert!(happened(&running, 0).is_none(), "only finished jobs");
        let same = h(&command(1, "stock", "error"));
        assert_eq!(same.event_id, h(&command(1, "stock", "error")).event_id, "one event, one id");
    }

    #[test]
    fn discord_bodies_say_what_happened() {
        let body = happened(&command(1, "stock", "ok"), 0).unwrap().body;
        let discord = discord_body(&body);
        assert_eq!(discord["embeds"][0]["title"], "alice ran stock");
        assert_eq!(discord["allowed_mentions"], json!({"parse": []}));
    }
}
