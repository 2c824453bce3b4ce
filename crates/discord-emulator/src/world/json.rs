//! Entities rendered in Discord's JSON shapes (API v10). Every field real clients require is
//! present, including the ones the emulator has no behaviour for (sent as empty or null).

use serde_json::{json, Map, Value};

use super::model::{Application, Channel, Command, Guild, Interaction, Member, Message, Role, User};
use super::{permissions, State};
use crate::snowflake::iso8601;

/// A user object (as in `author`, `member.user`, `GET /users/@me`).
pub fn user(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": null,
        "bot": user.bot,
        "system": false,
        "public_flags": 0,
        "flags": 0,
        "banner": null,
        "accent_color": null,
        "avatar_decoration_data": null,
    })
}

/// `GET /users/@me` for a bot: the user object plus the fields only the owner sees.
pub fn current_user(u: &User) -> Value {
    let mut v = user(u);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("mfa_enabled".into(), json!(false));
        obj.insert("verified".into(), json!(true));
        obj.insert("email".into(), Value::Null);
        obj.insert("locale".into(), json!("en-US"));
        obj.insert("premium_type".into(), json!(0));
    }
    v
}

/// A role object.
pub fn role(role: &Role) -> Value {
    json!({
        "id": role.id.to_string(),
        "name": role.name,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": role.position,
        "permissions": role.permissions.to_string(),
        "managed": false,
        "mentionable": false,
        "flags": 0,
        "description": null,
    })
}

/// A guild member; `with_user` adds the nested user (omitted inside `MESSAGE_CREATE.member`).
pub fn member(state: &State, m: &Member, with_user: bool) -> Value {
    let mut v = json!({
        "nick": m.nick,
        "avatar": null,
        "banner": null,
        "roles": m.roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "joined_at": iso8601(m.joined_at),
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "avatar_decoration_data": null,
    });
    if with_user {
        if let (Some(obj), Some(u)) = (v.as_object_mut(), state.users.get(&m.user_id)) {
            obj.insert("user".into(), user(u));
        }
    }
    v
}

/// A channel object.
pub fn channel(c: &Channel) -> Value {
    let mut v = json!({
        "id": c.id.to_string(),
        "type": c.kind,
        "last_message_id": c.last_message_id.map(|id| id.to_string()),
        "flags": 0,
    });
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    if let Some(guild_id) = c.guild_id {
        let overwrites: Vec<Value> = c
            .overwrites
            .iter()
            .map(|o| {
                json!({"id": o.id.to_string(), "type": o.kind,
                       "allow": o.allow.to_string(), "deny": o.deny.to_string()})
            })
            .collect();
        obj.insert("guild_id".into(), json!(guild_id.to_string()));
        obj.insert("name".into(), json!(c.name));
        obj.insert("position".into(), json!(c.position));
        obj.insert("permission_overwrites".into(), json!(overwrites));
        obj.insert("topic".into(), json!(c.topic));
        obj.insert("nsfw".into(), json!(false));
        obj.insert("rate_limit_per_user".into(), json!(0));
        obj.insert("parent_id".into(), Value::Null);
        obj.insert("last_pin_timestamp".into(), Value::Null);
    } else {
        obj.insert("recipients".into(), json!([]));
    }
    v
}

/// The full guild object of `GUILD_CREATE`, as seen by `viewer` (a bot user).
pub fn guild_create(state: &State, g: &Guild, viewer: u64) -> Value {
    let joined = g.members.get(&viewer).map_or(g.created_at, |m| m.joined_at);
    let channels: Vec<Value> = g
        .channel_ids
        .iter()
        .filter_map(|id| state.channels.get(id))
        .filter(|c| permissions::in_channel(g, c, viewer) & permissions::VIEW_CHANNEL != 0)
        .map(channel)
        .collect();
    let members: Vec<Value> = g.members.values().map(|m| member(state, m, true)).collect();
    json!({
        "id": g.id.to_string(),
        "name": g.name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": g.owner_id.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": g.roles.iter().map(role).collect::<Vec<_>>(),
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "public_updates_channel_id": null,
        "safety_alerts_channel_id": null,
        "max_presences": null,
        "max_members": 500_000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": false,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "nsfw": false,
        "hub_type": null,
        "incidents_data": null,
        "latest_onboarding_question_id": null,
        "joined_at": iso8601(joined),
        "large": g.members.len() > 250,
        "lazy": true,
        "unavailable": false,
        "member_count": g.members.len(),
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "activity_instances": [],
    })
}

/// A message object. `gateway` adds `guild_id` and the author's partial `member`, as dispatches do.
pub fn message(state: &State, m: &Message, gateway: bool) -> Value {
    let mut author = state.users.get(&m.author_id).map_or(Value::Null, user);
    if let (Some(name), Some(obj)) = (&m.author_name, author.as_object_mut()) {
        obj.insert("username".into(), json!(name));
    }
    let mentions: Vec<Value> = m.mentions.iter().filter_map(|id| state.users.get(id)).map(user).collect();
    let mut v = json!({
        "id": m.id.to_string(),
        "type": m.kind,
        "channel_id": m.channel_id.to_string(),
        "author": author,
        "content": m.content,
        "timestamp": iso8601(m.created_at),
        "edited_timestamp": m.edited_at.map(iso8601),
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": mentions,
        "mention_roles": m.mention_roles.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "mention_channels": [],
        "attachments": [],
        "embeds": m.embeds,
        "reactions": [],
        "pinned": false,
        "flags": m.flags,
        "components": m.components,
        "position": 0,
    });
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    if let Some(reference) = &m.message_reference {
        obj.insert("message_reference".into(), reference.clone());
    }
    if let Some(nonce) = &m.nonce {
        obj.insert("nonce".into(), nonce.clone());
    }
    if let Some(app) = m.application_id {
        obj.insert("application_id".into(), json!(app.to_string()));
    }
    if let Some(hook) = m.webhook_id {
        obj.insert("webhook_id".into(), json!(hook.to_string()));
    }
    if let Some((id, kind, name, user_id)) = &m.interaction {
        let u = state.users.get(user_id).map_or(Value::Null, user);
        obj.insert(
            "interaction_metadata".into(),
            json!({"id": id.to_string(), "type": kind, "user": u,
                   "authorizing_integration_owners": {}}),
        );
        obj.insert("interaction".into(), json!({"id": id.to_string(), "type": kind, "name": name, "user": u}));
    }
    if gateway {
        if let Some(guild_id) = m.guild_id {
            obj.insert("guild_id".into(), json!(guild_id.to_string()));
            let member = state
                .guilds
                .get(&guild_id)
                .and_then(|g| g.members.get(&m.author_id))
                .map(|mem| member(state, mem, false));
            if let Some(member) = member {
                obj.insert("member".into(), member);
            }
        }
    }
    v
}

/// An application object (`GET /oauth2/applications/@me`, READY's `application`).
pub fn application(state: &State, app: &Application) -> Value {
    let bot = state.users.get(&app.bot_user_id).map_or(Value::Null, user);
    json!({
        "id": app.id.to_string(),
        "name": app.name,
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "bot": bot,
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "owner": {"id": "1", "username": "emulator-owner", "discriminator": "0",
                  "global_name": null, "avatar": null, "public_flags": 0, "flags": 0},
        "team": null,
        "flags": app.flags,
        "approximate_guild_count": state.guilds.values()
            .filter(|g| g.members.contains_key(&app.bot_user_id)).count(),
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "tags": [],
        "integration_types_config": {"0": {}},
    })
}

/// An application command as Discord returns it.
pub fn command(c: &Command) -> Value {
    let mut v = match &c.body {
        Value::Object(map) => Value::Object(map.clone()),
        _ => Value::Object(Map::new()),
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("id".into(), json!(c.id.to_string()));
        obj.insert("application_id".into(), json!(c.application_id.to_string()));
        obj.insert("version".into(), json!(c.version.to_string()));
        obj.entry("type").or_insert(json!(1));
        obj.entry("description").or_insert(json!(""));
        obj.entry("default_member_permissions").or_insert(Value::Null);
        obj.entry("nsfw").or_insert(json!(false));
        obj.entry("dm_permission").or_insert(json!(true));
        obj.entry("contexts").or_insert(Value::Null);
        obj.entry("integration_types").or_insert(json!([0]));
        if let Some(guild_id) = c.guild_id {
            obj.insert("guild_id".into(), json!(guild_id.to_string()));
        }
    }
    v
}

/// The `INTERACTION_CREATE` payload.
pub fn interaction(state: &State, i: &Interaction) -> Value {
    let channel_json = state.channels.get(&i.channel_id).map_or(Value::Null, channel);
    let mut v = json!({
        "id": i.id.to_string(),
        "application_id": i.application_id.to_string(),
        "type": i.kind,
        "data": i.data,
        "channel_id": i.channel_id.to_string(),
        "channel": channel_json,
        "token": i.token,
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": i.guild_id.map(|g| g.to_string())},
        "context": if i.guild_id.is_some() { 0 } else { 1 },
        "attachment_size_limit": 26_214_400,
    });
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    let bot_user = state.applications.get(&i.application_id).map_or(0, |a| a.bot_user_id);
    match i.guild_id.and_then(|id| state.guilds.get(&id)) {
        Some(g) => {
            let chan = state.channels.get(&i.channel_id);
            let perms_of = |uid| chan.map_or(0, |c| permissions::in_channel(g, c, uid));
            obj.insert("guild_id".into(), json!(g.id.to_string()));
            obj.insert("guild".into(), json!({"id": g.id.to_string(), "locale": "en-US", "features": []}));
            obj.insert("guild_locale".into(), json!("en-US"));
            if let Some(m) = g.members.get(&i.user_id) {
                let mut mv = member(state, m, true);
                if let Some(mo) = mv.as_object_mut() {
                    mo.insert("permissions".into(), json!(perms_of(i.user_id).to_string()));
                }
                obj.insert("member".into(), mv);
            }
            obj.insert("app_permissions".into(), json!(perms_of(bot_user).to_string()));
        }
        None => {
            let u = state.users.get(&i.user_id).map_or(Value::Null, user);
            obj.insert("user".into(), u);
            obj.insert("app_permissions".into(), json!(permissions::ALL.to_string()));
        }
    }
    if let Some(msg) = i.message_id.and_then(|id| state.message(i.channel_id, id)) {
        obj.insert("message".into(), message(state, msg, false));
    }
    v
}
