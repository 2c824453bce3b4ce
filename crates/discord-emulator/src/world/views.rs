//! The hot path's renderers: messages (`MESSAGE_CREATE`, REST message responses) and
//! `INTERACTION_CREATE`, serialized straight from the model instead of through a `serde_json::Value`
//! tree. The output is byte for byte what `json.rs` renders (keys in the same sorted order, the
//! same null and absent choices); the tests below hold them to that.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::model::{Channel, Interaction, Member, Message, User};
use super::{permissions, State};
use crate::snowflake::iso8601;

/// A number written as a JSON string (snowflakes, permission bits), as Discord sends them.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub u64);

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut n = self.0;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // Only ASCII digits were written.
        serializer.serialize_str(std::str::from_utf8(&buf[at..]).unwrap_or("0"))
    }
}

/// A time as Discord writes it (`snowflake::iso8601`), written without a `String` per field.
#[derive(Debug, Clone, Copy)]
pub struct Timestamp(pub std::time::SystemTime);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use std::time::{Duration, UNIX_EPOCH};
        let since = self.0.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        let secs = i64::try_from(since.as_secs()).unwrap_or(0);
        let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        // `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`; a year outside 0..=9999 takes the general path.
        let Ok(year) = u32::try_from(dt.year()) else {
            return serializer.serialize_str(&iso8601(self.0));
        };
        if year > 9999 {
            return serializer.serialize_str(&iso8601(self.0));
        }
        let mut buf = *b"0000-00-00T00:00:00.000000+00:00";
        let mut put = |at: usize, width: usize, mut n: u32| {
            for i in (at..at + width).rev() {
                buf[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, u32::from(u8::from(dt.month())));
        put(8, 2, u32::from(dt.day()));
        put(11, 2, u32::from(dt.hour()));
        put(14, 2, u32::from(dt.minute()));
        put(17, 2, u32::from(dt.second()));
        put(20, 6, since.subsec_micros());
        // Only ASCII was written.
        serializer.serialize_str(std::str::from_utf8(&buf).unwrap_or_default())
    }
}

/// `[]`.
const EMPTY_LIST: [(); 0] = [];

/// `{}`.
struct EmptyObject;

impl Serialize for EmptyObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_map(Some(0))?.end()
    }
}

/// A user object (`json::user`), with a display-name override (a webhook message's `username`).
pub struct UserView<'a> {
    pub user: &'a User,
    pub username: Option<&'a str>,
}

impl Serialize for UserView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let u = self.user;
        let mut map = serializer.serialize_map(Some(12))?;
        map.serialize_entry("accent_color", &())?;
        map.serialize_entry("avatar", &())?;
        map.serialize_entry("avatar_decoration_data", &())?;
        map.serialize_entry("banner", &())?;
        map.serialize_entry("bot", &u.bot)?;
        map.serialize_entry("discriminator", "0")?;
        map.serialize_entry("flags", &0)?;
        map.serialize_entry("global_name", &u.global_name)?;
        map.serialize_entry("id", &Id(u.id))?;
        map.serialize_entry("public_flags", &0)?;
        map.serialize_entry("system", &false)?;
        map.serialize_entry("username", self.username.unwrap_or(&u.username))?;
        map.end()
    }
}

/// A user by id: its object, or `null` when there is no such user.
struct UserById<'a>(&'a State, u64);

impl Serialize for UserById<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.users.get(&self.1) {
            Some(user) => UserView { user, username: None }.serialize(serializer),
            None => serializer.serialize_unit(),
        }
    }
}

/// A list of ids as strings.
struct Ids<'a>(&'a [u64]);

impl Serialize for Ids<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|id| Id(*id)))
    }
}

/// A guild member (`json::member`): `with_user` adds the nested user, `permissions` the
/// interaction member's permission bits.
pub struct MemberView<'a> {
    pub state: &'a State,
    pub member: &'a Member,
    pub with_user: bool,
    pub permissions: Option<u64>,
}

impl Serialize for MemberView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = self.member;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("avatar", &())?;
        map.serialize_entry("avatar_decoration_data", &())?;
        map.serialize_entry("banner", &())?;
        map.serialize_entry("communication_disabled_until", &())?;
        map.serialize_entry("deaf", &false)?;
        map.serialize_entry("flags", &0)?;
        map.serialize_entry("joined_at", &Timestamp(m.joined_at))?;
        map.serialize_entry("mute", &false)?;
        map.serialize_entry("nick", &m.nick)?;
        map.serialize_entry("pending", &false)?;
        if let Some(perms) = self.permissions {
            map.serialize_entry("permissions", &Id(perms))?;
        }
        map.serialize_entry("premium_since", &())?;
        map.serialize_entry("roles", &Ids(&m.roles))?;
        if self.with_user {
            if let Some(user) = self.state.users.get(&m.user_id) {
                map.serialize_entry("user", &UserView { user, username: None })?;
            }
        }
        map.end()
    }
}

/// A channel object (`json::channel`).
pub struct ChannelView<'a>(pub &'a Channel);

/// A channel's permission overwrites.
struct Overwrites<'a>(&'a Channel);

impl Serialize for Overwrites<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.overwrites.iter().map(|o| OverwriteView(*o)))
    }
}

struct OverwriteView(super::model::Overwrite);

impl Serialize for OverwriteView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let o = &self.0;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("allow", &Id(o.allow))?;
        map.serialize_entry("deny", &Id(o.deny))?;
        map.serialize_entry("id", &Id(o.id))?;
        map.serialize_entry("type", &o.kind)?;
        map.end()
    }
}

impl Serialize for ChannelView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("flags", &0)?;
        match c.guild_id {
            Some(guild_id) => {
                map.serialize_entry("guild_id", &Id(guild_id))?;
                map.serialize_entry("id", &Id(c.id))?;
                map.serialize_entry("last_message_id", &c.last_message_id.map(Id))?;
                map.serialize_entry("last_pin_timestamp", &())?;
                map.serialize_entry("name", &c.name)?;
                map.serialize_entry("nsfw", &false)?;
                map.serialize_entry("parent_id", &())?;
                map.serialize_entry("permission_overwrites", &Overwrites(c))?;
                map.serialize_entry("position", &c.position)?;
                map.serialize_entry("rate_limit_per_user", &0)?;
                map.serialize_entry("topic", &c.topic)?;
            }
            None => {
                map.serialize_entry("id", &Id(c.id))?;
                map.serialize_entry("last_message_id", &c.last_message_id.map(Id))?;
                map.serialize_entry("recipients", &EMPTY_LIST)?;
            }
        }
        map.serialize_entry("type", &c.kind)?;
        map.end()
    }
}

/// A message object (`json::message`). `gateway` adds `guild_id` and the author's partial
/// `member`, as dispatches do; `blank` empties content, embeds and components (what a bot without
/// the MESSAGE_CONTENT intent receives).
pub struct MessageView<'a> {
    pub state: &'a State,
    pub message: &'a Message,
    pub gateway: bool,
    pub blank: bool,
}

impl MessageView<'_> {
    /// The message as JSON text.
    pub fn render(&self) -> String {
        to_json(self, 1024)
    }
}

/// An interaction's `interaction_metadata` (or, with `name`, the legacy `interaction`).
struct InteractionMeta<'a> {
    state: &'a State,
    id: u64,
    kind: u8,
    name: Option<&'a str>,
    user: u64,
}

impl Serialize for InteractionMeta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if self.name.is_none() {
            map.serialize_entry("authorizing_integration_owners", &EmptyObject)?;
        }
        map.serialize_entry("id", &Id(self.id))?;
        if let Some(name) = self.name {
            map.serialize_entry("name", name)?;
        }
        map.serialize_entry("type", &self.kind)?;
        map.serialize_entry("user", &UserById(self.state, self.user))?;
        map.end()
    }
}

impl Serialize for MessageView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (state, m) = (self.state, self.message);
        let mut map = serializer.serialize_map(None)?;
        if let Some(app) = m.application_id {
            map.serialize_entry("application_id", &Id(app))?;
        }
        map.serialize_entry("attachments", &EMPTY_LIST)?;
        match state.users.get(&m.author_id) {
            Some(user) => map.serialize_entry("author", &UserView { user, username: m.author_name.as_deref() })?,
            None => map.serialize_entry("author", &())?,
        }
        map.serialize_entry("channel_id", &Id(m.channel_id))?;
        if self.blank {
            map.serialize_entry("components", &EMPTY_LIST)?;
            map.serialize_entry("content", "")?;
        } else {
            map.serialize_entry("components", &m.components)?;
            map.serialize_entry("content", &m.content)?;
        }
        map.serialize_entry("edited_timestamp", &m.edited_at.map(Timestamp))?;
        if self.blank {
            map.serialize_entry("embeds", &EMPTY_LIST)?;
        } else {
            map.serialize_entry("embeds", &m.embeds)?;
        }
        map.serialize_entry("flags", &m.flags)?;
        let guild = if self.gateway { m.guild_id } else { None };
        if let Some(guild_id) = guild {
            map.serialize_entry("guild_id", &Id(guild_id))?;
        }
        map.serialize_entry("id", &Id(m.id))?;
        if let Some((id, kind, name, user)) = &m.interaction {
            let meta = |name| InteractionMeta { state, id: *id, kind: *kind, name, user: *user };
            map.serialize_entry("interaction", &meta(Some(name.as_str())))?;
            map.serialize_entry("interaction_metadata", &meta(None))?;
        }
        let member = guild.and_then(|g| state.guilds.get(&g)).and_then(|g| g.members.get(&m.author_id));
        if let Some(member) = member {
            map.serialize_entry("member", &MemberView { state, member, with_user: false, permissions: None })?;
        }
        map.serialize_entry("mention_channels", &EMPTY_LIST)?;
        map.serialize_entry("mention_everyone", &m.mention_everyone)?;
        map.serialize_entry("mention_roles", &Ids(&m.mention_roles))?;
        let mentions: Vec<UserView<'_>> = m
            .mentions
            .iter()
            .filter_map(|id| state.users.get(id))
            .map(|user| UserView { user, username: None })
            .collect();
        map.serialize_entry("mentions", &mentions)?;
        if let Some(reference) = &m.message_reference {
            map.serialize_entry("message_reference", reference)?;
        }
        if let Some(nonce) = &m.nonce {
            map.serialize_entry("nonce", nonce)?;
        }
        map.serialize_entry("pinned", &false)?;
        map.serialize_entry("position", &0)?;
        map.serialize_entry("reactions", &EMPTY_LIST)?;
        map.serialize_entry("timestamp", &Timestamp(m.created_at))?;
        map.serialize_entry("tts", &m.tts)?;
        map.serialize_entry("type", &m.kind)?;
        if let Some(hook) = m.webhook_id {
            map.serialize_entry("webhook_id", &Id(hook))?;
        }
        map.end()
    }
}

/// The `INTERACTION_CREATE` payload (`json::interaction`).
pub struct InteractionView<'a> {
    pub state: &'a State,
    pub interaction: &'a Interaction,
}

impl InteractionView<'_> {
    /// The interaction as JSON text.
    pub fn render(&self) -> String {
        to_json(self, 2048)
    }
}

/// `{"features": [], "id": …, "locale": "en-US"}`: the partial guild of an interaction.
struct PartialGuild(u64);

impl Serialize for PartialGuild {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("features", &EMPTY_LIST)?;
        map.serialize_entry("id", &Id(self.0))?;
        map.serialize_entry("locale", "en-US")?;
        map.end()
    }
}

/// `{"0": guild id or null}`.
struct IntegrationOwners(Option<u64>);

impl Serialize for IntegrationOwners {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("0", &self.0.map(Id))?;
        map.end()
    }
}

impl Serialize for InteractionView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (state, i) = (self.state, self.interaction);
        let bot_user = state.applications.get(&i.application_id).map_or(0, |a| a.bot_user_id);
        let guild = i.guild_id.and_then(|id| state.guilds.get(&id));
        let channel = state.channels.get(&i.channel_id);
        let perms_of = |g, uid| channel.map_or(0, |c| permissions::in_channel(g, c, uid));
        let mut map = serializer.serialize_map(None)?;
        let app_permissions = guild.map_or(permissions::ALL, |g| perms_of(g, bot_user));
        map.serialize_entry("app_permissions", &Id(app_permissions))?;
        map.serialize_entry("application_id", &Id(i.application_id))?;
        map.serialize_entry("attachment_size_limit", &26_214_400)?;
        map.serialize_entry("authorizing_integration_owners", &IntegrationOwners(i.guild_id))?;
        map.serialize_entry("channel", &channel.map(ChannelView))?;
        map.serialize_entry("channel_id", &Id(i.channel_id))?;
        map.serialize_entry("context", &if i.guild_id.is_some() { 0 } else { 1 })?;
        map.serialize_entry("data", &i.data)?;
        map.serialize_entry("entitlements", &EMPTY_LIST)?;
        if let Some(g) = guild {
            map.serialize_entry("guild", &PartialGuild(g.id))?;
            map.serialize_entry("guild_id", &Id(g.id))?;
            map.serialize_entry("guild_locale", "en-US")?;
        }
        map.serialize_entry("id", &Id(i.id))?;
        map.serialize_entry("locale", "en-US")?;
        if let Some((g, member)) = guild.and_then(|g| Some((g, g.members.get(&i.user_id)?))) {
            let permissions = Some(perms_of(g, i.user_id));
            map.serialize_entry("member", &MemberView { state, member, with_user: true, permissions })?;
        }
        if let Some(message) = i.message_id.and_then(|id| state.message(i.channel_id, id)) {
            map.serialize_entry("message", &MessageView { state, message, gateway: false, blank: false })?;
        }
        map.serialize_entry("token", &i.token)?;
        map.serialize_entry("type", &i.kind)?;
        if guild.is_none() {
            map.serialize_entry("user", &UserById(state, i.user_id))?;
        }
        map.serialize_entry("version", &1)?;
        map.end()
    }
}

/// Serializes a view into a string, starting with `capacity` bytes.
pub fn to_json(view: &impl Serialize, capacity: usize) -> String {
    let mut out = Vec::with_capacity(capacity);
    // Writing to a Vec cannot fail, and these views hold no map with non-string keys.
    if serde_json::to_writer(&mut out, view).is_err() {
        return "null".to_owned();
    }
    // serde_json writes UTF-8 only.
    String::from_utf8(out).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::{json, Value};

    use super::*;
    use crate::clock::Clock;
    use crate::world::json as reference;
    use crate::world::model::{NewMessage, Overwrite};
    use crate::world::ApplicationSpec;

    struct World {
        state: State,
        guild_channel: u64,
        dm_channel: u64,
        bot: u64,
        app: u64,
        alice: u64,
        bob: u64,
        role: u64,
    }

    fn world() -> World {
        let mut state = State::new(Arc::new(Clock::new()), 16);
        let app = state.create_application(ApplicationSpec { name: "Echo \"bot\"".into(), ..Default::default() });
        let app = app.expect("application");
        let alice = state.create_user("alice").expect("user");
        let bob = state.create_user("bob ✓ \\ \u{1}").expect("user");
        if let Some(u) = state.users.get_mut(&bob) {
            u.global_name = Some("Bob B.".into());
        }
        let guild = state.create_guild("Guild", alice).expect("guild");
        let role = state.create_role(guild, "mods", 8).expect("role");
        state.add_member(guild, bob, vec![role]).expect("member");
        state.add_member(guild, app.bot_user_id, vec![]).expect("member");
        if let Some(m) = state.guilds.get_mut(&guild).and_then(|g| g.members.get_mut(&bob)) {
            m.nick = Some("bobby".into());
        }
        let guild_channel = state.create_channel(guild, "general", Some("a \"topic\"".into())).expect("channel");
        let overwrite = Overwrite { id: role, kind: 0, allow: 1 << 11, deny: 1 << 13 };
        state.set_overwrite(guild_channel, overwrite).expect("overwrite");
        let dm_channel = state.dm_channel(alice, app.bot_user_id).expect("dm");
        World { state, guild_channel, dm_channel, bot: app.bot_user_id, app: app.application_id, alice, bob, role }
    }

    /// What `dispatch.rs` sent before: the `Value` tree, blanked by replacing three keys.
    fn reference_message(state: &State, m: &Message, gateway: bool, blank: bool) -> String {
        let mut v = reference::message(state, m, gateway);
        if blank {
            if let Some(obj) = v.as_object_mut() {
                obj.insert("content".into(), json!(""));
                obj.insert("embeds".into(), json!([]));
                obj.insert("components".into(), json!([]));
            }
        }
        v.to_string()
    }

    fn assert_message_renders_as_before(state: &State, m: &Message) {
        for gateway in [false, true] {
            for blank in [false, true] {
                let new = MessageView { state, message: m, gateway, blank }.render();
                let old = reference_message(state, m, gateway, blank);
                assert_eq!(new, old, "gateway {gateway}, blank {blank}");
                let parsed: Value = serde_json::from_str(&new).expect("valid JSON");
                assert_eq!(parsed, serde_json::from_str::<Value>(&old).expect("valid JSON"));
            }
        }
    }

    #[test]
    fn messages_render_as_the_value_tree_did() {
        let mut w = world();
        let s = &mut w.state;
        // A user's plain prefix command in a guild (what the benchmark sends).
        let prefix = s.user_message(w.bob, w.guild_channel, "!ping").expect("message");
        // A bot's reply with everything the REST route can set.
        let reply = NewMessage {
            content: format!("pong <@{}> <@&{}> @everyone \"quoted\" \n\t é", w.alice, w.role),
            embeds: vec![json!({"title": "t", "description": "d", "fields": [{"name": "a", "value": "b"}]})],
            components: vec![json!({"type": 1, "components": [{"type": 2, "custom_id": "x", "label": "X"}]})],
            tts: true,
            flags: 4,
            kind: 19,
            message_reference: Some(json!({"message_id": prefix.to_string(), "fail_if_not_exists": false})),
            nonce: Some(json!("nonce-1")),
            ..NewMessage::default()
        };
        let reply = s.post_message(w.bot, w.guild_channel, reply).expect("reply");
        let numeric_nonce =
            NewMessage { content: "n".into(), nonce: Some(json!(12_345_678_901_u64)), ..NewMessage::default() };
        let numeric_nonce = s.post_message(w.bot, w.guild_channel, numeric_nonce).expect("reply");
        // An interaction response (interaction metadata, application and webhook ids).
        let response = NewMessage {
            content: "from a command".into(),
            kind: 20,
            application_id: Some(w.app),
            webhook_id: Some(w.app),
            interaction: Some((77, 2, "ping".into(), w.bob)),
            ..NewMessage::default()
        };
        let response = s.post_message(w.bot, w.guild_channel, response).expect("response");
        // A webhook's message with a display-name override, and an edited one.
        let hooked = NewMessage {
            content: "hook".into(),
            webhook_id: Some(5),
            author_name: Some("Captain Hook".into()),
            ..NewMessage::default()
        };
        let hooked = s.post_message(w.bot, w.guild_channel, hooked).expect("webhook message");
        s.edit_message(w.guild_channel, hooked, Some("hooked <@1>".into()), None, None).expect("edit");
        // A DM.
        let dm = s.user_message(w.alice, w.dm_channel, "!ping in a DM").expect("dm");
        let s = &w.state;
        for (channel, id) in [
            (w.guild_channel, prefix),
            (w.guild_channel, reply),
            (w.guild_channel, numeric_nonce),
            (w.guild_channel, response),
            (w.guild_channel, hooked),
            (w.dm_channel, dm),
        ] {
            let m = s.message(channel, id).expect("stored");
            assert_message_renders_as_before(s, m);
        }
        // An author unknown to the world renders as null.
        let mut orphan = s.message(w.guild_channel, reply).expect("stored").clone();
        orphan.author_id = 3;
        orphan.interaction = Some((78, 3, "x".into(), 4));
        assert_message_renders_as_before(s, &orphan);
    }

    #[test]
    fn a_blanked_message_has_no_content_embeds_or_components() {
        let mut w = world();
        let id = w.state.user_message(w.bob, w.guild_channel, "secret").expect("message");
        let m = w.state.message(w.guild_channel, id).expect("stored");
        let v: Value =
            serde_json::from_str(&MessageView { state: &w.state, message: m, gateway: true, blank: true }.render())
                .expect("valid JSON");
        assert_eq!((&v["content"], &v["embeds"], &v["components"]), (&json!(""), &json!([]), &json!([])));
        assert_eq!(v["guild_id"], json!(w.state.channels[&w.guild_channel].guild_id.map(|g| g.to_string())));
        assert_eq!(v["member"]["nick"], json!("bobby"));
        assert!(v["member"].get("user").is_none(), "MESSAGE_CREATE.member has no user");
    }

    #[test]
    fn interactions_render_as_the_value_tree_did() {
        let mut w = world();
        let command = crate::world::model::Command {
            id: 9,
            application_id: w.app,
            guild_id: None,
            version: 1,
            body: json!({"name": "ping", "description": "Ping"}),
        };
        w.state.commands.entry(w.app).or_default().push(command);
        let slash = |name: &str| crate::world::interactions::UserAction::SlashCommand {
            name: name.into(),
            options: vec![json!({"name": "text", "type": 3, "value": "x \"y\""})],
        };
        let in_guild = w.state.start_interaction(w.app, w.bob, w.guild_channel, slash("ping")).expect("guild");
        let in_dm = w.state.start_interaction(w.app, w.alice, w.dm_channel, slash("ping")).expect("dm");
        let with_buttons = NewMessage {
            content: "buttons".into(),
            components: vec![json!({"type": 1, "components": [{"type": 2, "custom_id": "b", "label": "B"}]})],
            ..NewMessage::default()
        };
        let on = w.state.post_message(w.bot, w.guild_channel, with_buttons).expect("message");
        let press = crate::world::interactions::UserAction::Component {
            message_id: on,
            custom_id: "b".into(),
            component_type: 2,
            values: vec![],
        };
        let pressed = w.state.start_interaction(w.app, w.bob, w.guild_channel, press).expect("component");
        for started in [&in_guild, &in_dm, &pressed] {
            let i = &w.state.interactions[&started.interaction_id];
            let new = InteractionView { state: &w.state, interaction: i }.render();
            assert_eq!(new, reference::interaction(&w.state, i).to_string());
        }
        // A member's permissions, the bot's, and a guild the world no longer has.
        let i = &w.state.interactions[&in_guild.interaction_id];
        let v: Value =
            serde_json::from_str(&InteractionView { state: &w.state, interaction: i }.render()).expect("JSON");
        assert_eq!(v["member"]["user"]["id"], json!(w.bob.to_string()));
        assert!(v["member"]["permissions"].is_string() && v["app_permissions"].is_string());
        let mut gone = i.clone();
        gone.guild_id = Some(1);
        gone.user_id = 2;
        let new = InteractionView { state: &w.state, interaction: &gone }.render();
        assert_eq!(new, reference::interaction(&w.state, &gone).to_string());
    }

    #[test]
    fn timestamps_are_written_as_iso8601_writes_them() {
        use std::time::{Duration, UNIX_EPOCH};
        for ms in [0, 1, 999, 1_700_000_000_123, 1_764_998_400_000, 253_402_300_799_999] {
            for extra_us in [0, 1, 456, 999] {
                let t = UNIX_EPOCH + Duration::from_millis(ms) + Duration::from_micros(extra_us);
                let json = serde_json::to_string(&Timestamp(t)).expect("JSON");
                assert_eq!(json, format!("\"{}\"", iso8601(t)));
            }
        }
    }

    #[test]
    fn ids_are_decimal_strings() {
        for n in [0, 7, 10, 1_234_567_890_123_456_789, u64::MAX] {
            assert_eq!(serde_json::to_string(&Id(n)).expect("JSON"), format!("\"{n}\""));
        }
    }
}
