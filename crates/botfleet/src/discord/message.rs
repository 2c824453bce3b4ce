//! A message botfleet posts on a person's behalf (`send-message`; batches and schedules reuse it):
//! its content, embeds and mentions, checked in one place against the limits Discord documents
//! (content 2,000 characters; 10 embeds; per embed title 256, description 4,096, 25 fields, field
//! name 256 and value 1,024, footer 2,048, author name 256; 6,000 characters over all embeds), and
//! `allowed_mentions` that ping nobody unless the request asks (and the caller may: the
//! `bots.mention` permission, checked by the API).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use twilight_http::Client;
use twilight_model::channel::message::{AllowedMentions, MentionType};
use twilight_model::id::Id;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::text::{push, Lines};

pub const CONTENT_MAX: usize = 2000;
pub const EMBEDS_MAX: usize = 10;
pub const TITLE_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 4096;
pub const FIELDS_MAX: usize = 25;
pub const FIELD_NAME_MAX: usize = 256;
pub const FIELD_VALUE_MAX: usize = 1024;
pub const FOOTER_MAX: usize = 2048;
pub const AUTHOR_MAX: usize = 256;
/// Characters of titles, descriptions, field names and values, footers and author names over all
/// of a message's embeds.
pub const EMBEDS_TOTAL_MAX: usize = 6000;
/// Most user or role ids one `allowed_mentions` lists (Discord's rule).
pub const MENTION_IDS_MAX: usize = 100;
const URL_MAX: usize = 2048;

/// An embed (a subset of Discord's: what a person writes; `type` is always `rich`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEmbed {
    /// At most 256 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 256)]
    pub title: Option<String>,
    /// At most 4,096 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4096)]
    pub description: Option<String>,
    /// Where the title links to (`http://` or `https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// The colour of the embed's edge, `0xRRGGBB` as a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 16_777_215)]
    pub color: Option<u32>,
    /// At most 25.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 25)]
    pub fields: Vec<MessageEmbedField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<MessageEmbedFooter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<MessageEmbedAuthor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<MessageEmbedMedia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<MessageEmbedMedia>,
}

/// One field of an embed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEmbedField {
    /// 1 to 256 characters.
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    /// 1 to 1,024 characters.
    #[schema(min_length = 1, max_length = 1024)]
    pub value: String,
    #[serde(default)]
    pub inline: bool,
}

/// An embed's footer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEmbedFooter {
    /// 1 to 2,048 characters.
    #[schema(min_length = 1, max_length = 2048)]
    pub text: String,
}

/// An embed's author line.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEmbedAuthor {
    /// 1 to 256 characters.
    #[schema(min_length = 1, max_length = 256)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2048)]
    pub url: Option<String>,
}

/// An embed's image or thumbnail.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageEmbedMedia {
    /// `http://` or `https://`.
    #[schema(max_length = 2048)]
    pub url: String,
}

/// Who a message may ping, in Discord's `allowed_mentions` shape. Left out: nobody (not even a
/// `<@id>` or `@everyone` written in the content).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MentionRequest {
    /// Kinds of mention pinged wherever the content has them: `users`, `roles`, `everyone`
    /// (`@everyone` and `@here`).
    #[serde(default)]
    pub parse: Vec<String>,
    /// Only these users (not with `users` in `parse`; at most 100).
    #[serde(default)]
    #[schema(value_type = Vec<String>, max_items = 100)]
    pub users: Vec<Value>,
    /// Only these roles (not with `roles` in `parse`; at most 100).
    #[serde(default)]
    #[schema(value_type = Vec<String>, max_items = 100)]
    pub roles: Vec<Value>,
}

/// A message ready to post: checked, with its mentions decided.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub content: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<OutgoingEmbed>,
    pub allowed_mentions: AllowedMentions,
}

/// A checked message's parts, as one node hands it to another.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutgoingParts {
    pub content: String,
    pub embeds: Vec<MessageEmbed>,
    pub allowed_mentions: AllowedMentions,
}

/// An embed as Discord takes it (`type: rich`).
#[derive(Debug, Clone, Serialize)]
pub struct OutgoingEmbed {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    embed: MessageEmbed,
}

impl Outgoing {
    /// Checks a message; every problem, with the field named (`content`, `embeds`,
    /// `embeds[0].fields[3].value`, `allowed_mentions.users`…).
    pub fn check(
        content: &str,
        embeds: &[MessageEmbed],
        mentions: Option<&MentionRequest>,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        check_content(content, embeds.is_empty(), &mut errors);
        check_embeds(embeds, &mut errors);
        let allowed_mentions = mentions.map_or_else(AllowedMentions::default, |m| check_mentions(m, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            content: content.to_owned(),
            embeds: embeds.iter().map(|e| OutgoingEmbed { kind: "rich", embed: e.clone() }).collect(),
            allowed_mentions,
        })
    }

    /// Its parts, for another node to post it (`from_parts`).
    pub fn parts(&self) -> OutgoingParts {
        OutgoingParts {
            content: self.content.clone(),
            embeds: self.embeds.iter().map(|e| e.embed.clone()).collect(),
            allowed_mentions: self.allowed_mentions.clone(),
        }
    }

    /// The message another node checked (`parts`), as it was.
    pub fn from_parts(parts: OutgoingParts) -> Self {
        Self {
            content: parts.content,
            embeds: parts.embeds.into_iter().map(|embed| OutgoingEmbed { kind: "rich", embed }).collect(),
            allowed_mentions: parts.allowed_mentions,
        }
    }

    /// Whether it may ping anyone (what needs the `bots.mention` permission).
    pub fn pings(&self) -> bool {
        let m = &self.allowed_mentions;
        !m.parse.is_empty() || !m.users.is_empty() || !m.roles.is_empty() || m.replied_user
    }

    /// Posts it to `channel_id` with `http` (the bot's one client and rate limiter).
    pub async fn send(
        &self,
        http: &Client,
        channel_id: u64,
    ) -> Result<twilight_http::Response<twilight_model::channel::Message>, twilight_http::Error> {
        let request =
            twilight_http::request::Request::builder(&twilight_http::routing::Route::CreateMessage { channel_id })
                .json(self)
                .build()?;
        http.request(request).await
    }

    /// Posts it with a `nonce` and `enforce_nonce`: Discord posts it at most once per nonce within a
    /// few minutes, and answers a second send with the first message.
    pub async fn send_once(
        &self,
        http: &Client,
        channel_id: u64,
        nonce: &str,
    ) -> Result<twilight_http::Response<twilight_model::channel::Message>, twilight_http::Error> {
        #[derive(Serialize)]
        struct Once<'a> {
            #[serde(flatten)]
            message: &'a Outgoing,
            nonce: &'a str,
            enforce_nonce: bool,
        }
        let body = Once { message: self, nonce, enforce_nonce: true };
        let request =
            twilight_http::request::Request::builder(&twilight_http::routing::Route::CreateMessage { channel_id })
                .json(&body)
                .build()?;
        http.request(request).await
    }
}

/// How long until `channel_id`'s message bucket has room again, as the headers of Discord's last
/// answer on it said (`X-RateLimit-Remaining: 0` and `-Reset-After`), read from the client's own
/// rate limiter; zero when it has room or nothing was sent there yet. A caller that waits this
/// long before sending leaves no request parked inside the limiter, so its sends leave when it
/// says (see `fleet::pace`).
pub async fn channel_bucket_wait(http: &Client, channel_id: u64) -> std::time::Duration {
    use twilight_http_ratelimiting::{Endpoint, Method};
    let Some(limiter) = http.ratelimiter() else { return std::time::Duration::ZERO };
    let path = twilight_http::routing::Route::CreateMessage { channel_id }.to_string();
    match limiter.bucket(Endpoint { method: Method::Post, path }).await {
        // The limiter keeps tokio's instants (as std ones): read back the same way.
        Some(b) if b.remaining == 0 => {
            tokio::time::Instant::from_std(b.reset_at).saturating_duration_since(tokio::time::Instant::now())
        }
        _ => std::time::Duration::ZERO,
    }
}

fn check_content(content: &str, no_embeds: bool, errors: &mut Vec<FieldError>) {
    let n = content.chars().count();
    if n > CONTENT_MAX {
        errors.push(FieldError::new("content", format!("must be at most {CONTENT_MAX} characters (has {n})")));
    } else if content.trim().is_empty() && (no_embeds || !content.is_empty()) {
        let why = if content.is_empty() { "a message needs content or an embed" } else { "must not be only spaces" };
        errors.push(FieldError::new("content", why));
    } else {
        push(errors, "content", content, Lines::Multi);
    }
}

fn check_embeds(embeds: &[MessageEmbed], errors: &mut Vec<FieldError>) {
    if embeds.len() > EMBEDS_MAX {
        errors.push(FieldError::new("embeds", format!("at most {EMBEDS_MAX} embeds (has {})", embeds.len())));
        return;
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let at = |field: &str| format!("embeds[{i}].{field}");
        let mut text = |field: String, value: &str, max: usize, lines: Lines, errors: &mut Vec<FieldError>| {
            let n = value.chars().count();
            total += n;
            if n > max {
                errors.push(FieldError::new(field, format!("must be at most {max} characters (has {n})")));
            } else if value.trim().is_empty() {
                errors.push(FieldError::new(field, "must not be empty or only spaces"));
            } else {
                push(errors, &field, value, lines);
            }
        };
        if let Some(title) = &e.title {
            text(at("title"), title, TITLE_MAX, Lines::Single, errors);
        }
        if let Some(description) = &e.description {
            text(at("description"), description, DESCRIPTION_MAX, Lines::Multi, errors);
        }
        if e.fields.len() > FIELDS_MAX {
            errors.push(FieldError::new(at("fields"), format!("at most {FIELDS_MAX} fields (has {})", e.fields.len())));
        }
        for (j, f) in e.fields.iter().enumerate().take(FIELDS_MAX) {
            text(at(&format!("fields[{j}].name")), &f.name, FIELD_NAME_MAX, Lines::Single, errors);
            text(at(&format!("fields[{j}].value")), &f.value, FIELD_VALUE_MAX, Lines::Multi, errors);
        }
        if let Some(footer) = &e.footer {
            text(at("footer.text"), &footer.text, FOOTER_MAX, Lines::Multi, errors);
        }
        if let Some(author) = &e.author {
            text(at("author.name"), &author.name, AUTHOR_MAX, Lines::Single, errors);
        }
        let urls = [
            ("url", e.url.as_deref()),
            ("author.url", e.author.as_ref().and_then(|a| a.url.as_deref())),
            ("image.url", e.image.as_ref().map(|m| m.url.as_str())),
            ("thumbnail.url", e.thumbnail.as_ref().map(|m| m.url.as_str())),
        ];
        for (field, url) in urls {
            if let Some(url) = url {
                let web = url.starts_with("https://") || url.starts_with("http://");
                if !web || url.len() > URL_MAX || url.chars().any(char::is_whitespace) {
                    errors.push(FieldError::new(at(field), "must be an http:// or https:// URL of at most 2048 bytes"));
                }
            }
        }
        if e.color.is_some_and(|c| c > 0xFF_FFFF) {
            errors.push(FieldError::new(at("color"), "must be 0 to 16777215 (0xRRGGBB)"));
        }
        let shows_something = e.title.is_some()
            || e.description.is_some()
            || !e.fields.is_empty()
            || e.footer.is_some()
            || e.author.is_some()
            || e.image.is_some()
            || e.thumbnail.is_some();
        if !shows_something {
            errors.push(FieldError::new(
                format!("embeds[{i}]"),
                "an embed needs a title, description, field, footer, author, image or thumbnail",
            ));
        }
    }
    if total > EMBEDS_TOTAL_MAX {
        errors.push(FieldError::new(
            "embeds",
            format!("the embeds' text must be at most {EMBEDS_TOTAL_MAX} characters in all (has {total})"),
        ));
    }
}

fn check_mentions(m: &MentionRequest, errors: &mut Vec<FieldError>) -> AllowedMentions {
    let mut allowed = AllowedMentions::default();
    for kind in &m.parse {
        let parsed = match kind.as_str() {
            "users" => MentionType::Users,
            "roles" => MentionType::Roles,
            "everyone" => MentionType::Everyone,
            _ => {
                errors.push(FieldError::new("allowed_mentions.parse", "may hold only users, roles and everyone"));
                continue;
            }
        };
        if !allowed.parse.contains(&parsed) {
            allowed.parse.push(parsed);
        }
    }
    let ids = |name: &str, values: &[Value], in_parse: bool, errors: &mut Vec<FieldError>| -> Vec<u64> {
        let field = format!("allowed_mentions.{name}");
        if in_parse && !values.is_empty() {
            errors.push(FieldError::new(&field, format!("list {name} here or put \"{name}\" in parse, not both")));
        }
        if values.len() > MENTION_IDS_MAX {
            errors.push(FieldError::new(&field, format!("at most {MENTION_IDS_MAX} ids")));
            return vec![];
        }
        let mut out = Vec::new();
        for (i, v) in values.iter().enumerate() {
            match snowflake(v) {
                Some(id) if !out.contains(&id) => out.push(id),
                Some(_) => {}
                None => errors.push(FieldError::new(format!("{field}[{i}]"), "must be a Discord id (17 to 19 digits)")),
            }
        }
        out
    };
    let users = ids("users", &m.users, allowed.parse.contains(&MentionType::Users), errors);
    let roles = ids("roles", &m.roles, allowed.parse.contains(&MentionType::Roles), errors);
    allowed.users = users.into_iter().filter_map(Id::new_checked).collect();
    allowed.roles = roles.into_iter().filter_map(Id::new_checked).collect();
    allowed
}

/// A Discord id given as a string (or a number): 17 to 19 digits that fit in 63 bits.
fn snowflake(v: &Value) -> Option<u64> {
    let id = match v {
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    (10_000_000_000_000_000..=i64::MAX as u64).contains(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn embed(title: &str) -> MessageEmbed {
        MessageEmbed { title: Some(title.to_owned()), ..MessageEmbed::default() }
    }

    #[test]
    fn content_and_embed_counts_follow_discord() {
        assert!(Outgoing::check(&"x".repeat(2000), &[], None).is_ok());
        let long = Outgoing::check(&"x".repeat(2001), &[], None).expect_err("2001 characters");
        assert_eq!(fields(&long), ["content"]);
        let empty = Outgoing::check("", &[], None).expect_err("nothing to send");
        assert_eq!(fields(&empty), ["content"]);
        assert!(Outgoing::check("", &[embed("hi")], None).is_ok(), "an embed alone is a message");
        let ten: Vec<_> = (0..10).map(|_| embed("t")).collect();
        assert!(Outgoing::check("hi", &ten, None).is_ok());
        let eleven: Vec<_> = (0..11).map(|_| embed("t")).collect();
        assert_eq!(fields(&Outgoing::check("hi", &eleven, None).expect_err("11 embeds")), ["embeds"]);
    }

    #[test]
    fn embed_limits_are_named_by_field() {
        let e = MessageEmbed {
            title: Some("t".repeat(257)),
            description: Some("d".repeat(4097)),
            fields: vec![MessageEmbedField { name: "n".repeat(257), value: "v".repeat(1025), inline: false }],
            footer: Some(MessageEmbedFooter { text: "f".repeat(2049) }),
            author: Some(MessageEmbedAuthor { name: "a".repeat(257), url: Some("ftp://x".into()) }),
            ..MessageEmbed::default()
        };
        let errors = Outgoing::check("", &[e], None).expect_err("every limit broken");
        assert_eq!(
            fields(&errors),
            [
                "embeds[0].title",
                "embeds[0].description",
                "embeds[0].fields[0].name",
                "embeds[0].fields[0].value",
                "embeds[0].footer.text",
                "embeds[0].author.name",
                "embeds[0].author.url",
                "embeds", // over 6,000 in all too
            ]
        );
        let many = MessageEmbed {
            fields: (0..26).map(|_| MessageEmbedField { name: "n".into(), value: "v".into(), inline: true }).collect(),
            ..MessageEmbed::default()
        };
        assert_eq!(fields(&Outgoing::check("", &[many], None).expect_err("26 fields")), ["embeds[0].fields"]);
        // Each embed within its own limits, 6,001 characters in all.
        let big = |n| MessageEmbed { description: Some("d".repeat(n)), ..MessageEmbed::default() };
        let total = Outgoing::check("", &[big(4000), big(2001)], None).expect_err("over 6000");
        assert_eq!(fields(&total), ["embeds"]);
        assert!(Outgoing::check("", &[big(4000), big(2000)], None).is_ok());
        assert_eq!(
            fields(&Outgoing::check("", &[MessageEmbed::default()], None).expect_err("empty embed")),
            ["embeds[0]"]
        );
    }

    #[test]
    fn mentions_ping_nobody_unless_asked() {
        let quiet = Outgoing::check("@everyone <@123456789012345678>", &[], None).expect("valid");
        assert!(!quiet.pings());
        let json = serde_json::to_value(&quiet).expect("serializes");
        assert_eq!(json["allowed_mentions"], serde_json::json!({"parse": []}));
        let asked = MentionRequest { parse: vec!["everyone".into()], ..MentionRequest::default() };
        assert!(Outgoing::check("@everyone", &[], Some(&asked)).expect("valid").pings());
        let none = MentionRequest::default();
        assert!(!Outgoing::check("hi", &[], Some(&none)).expect("valid").pings());
        let both = MentionRequest {
            parse: vec!["users".into(), "nobody".into()],
            users: vec![Value::from("123456789012345678"), Value::from("12")],
            ..MentionRequest::default()
        };
        let errors = Outgoing::check("hi", &[], Some(&both)).expect_err("bad mentions");
        assert_eq!(fields(&errors), ["allowed_mentions.parse", "allowed_mentions.users", "allowed_mentions.users[1]"]);
    }
}
