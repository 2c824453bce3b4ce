//! The servers a bot is in and the channels it sees there, for the dashboard's channel pickers
//! (`GET /bots/{id}/guilds`; `POST /bots/guilds` for a bot being added). Read over REST when
//! asked, with the bot's own client: `GET /users/@me/guilds` for the servers, and per server `GET
//! /guilds/{id}/channels`, `GET /guilds/{id}/roles` and `GET /guilds/{id}/members/{bot}` (whether
//! the bot may post in each channel is Discord's permission calculation over those). For a saved
//! bot, what was read is kept [`KEEP`]; a gateway event about a server or a channel
//! (`GUILD_CREATE`, `GUILD_DELETE`, `CHANNEL_*`) drops it sooner. Nothing is kept for a bot nobody
//! asked about: idle bots hold nothing here.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;
use twilight_model::channel::permission_overwrite::{PermissionOverwrite, PermissionOverwriteType};
use twilight_model::channel::ChannelType;
use twilight_model::guild::Permissions;
use twilight_model::id::Id;
use utoipa::ToSchema;

use super::{lock, BotRest, Fleet};
use crate::discord::{read_model, read_models, Failure};
use crate::error::{Error, Result};

/// How long what was read is kept.
pub const KEEP: Duration = Duration::from_secs(60);

/// Servers read per page of `GET /users/@me/guilds` (Discord's most).
const GUILDS_PER_CALL: u16 = 200;

/// Servers whose channels are read at once for one page.
const AT_ONCE: usize = 4;

/// A server the bot is in, with the channels it sees.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServerView {
    /// The server's id (a string: Discord ids exceed JavaScript's safe integers).
    pub id: String,
    pub name: String,
    /// The channels the bot can see, in Discord's order (categories and voice channels included,
    /// with `can_post` false).
    pub channels: Vec<ChannelView>,
    /// Why the channels could not be read (absent when they were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A channel the bot can see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChannelView {
    pub id: String,
    pub name: String,
    /// `text`, `announcement`, `forum`, `voice`, `stage`, `category` or `other`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Whether the bot may post messages there (View Channel and Send Messages, after the
    /// channel's overwrites; a text or announcement channel).
    pub can_post: bool,
}

/// A server as `GET /users/@me/guilds` lists it.
#[derive(Debug, Clone)]
struct Server {
    id: u64,
    name: String,
    owner: bool,
}

/// Something read, and when.
#[derive(Debug, Clone)]
struct Kept<T> {
    at: Instant,
    value: T,
}

impl<T: Clone> Kept<T> {
    fn fresh(&self) -> Option<T> {
        (self.at.elapsed() < KEEP).then(|| self.value.clone())
    }
}

/// A bot's user id and its servers, ascending by id.
type ServerList = (u64, Vec<Server>);

/// What was read of the bots' servers (see the module).
#[derive(Debug, Default)]
pub struct Directory {
    /// Per bot.
    servers: Mutex<HashMap<i64, Kept<ServerList>>>,
    /// Per bot and server: the channels the bot sees.
    channels: Mutex<HashMap<(i64, u64), Kept<Channels>>>,
}

/// The channels a bot sees in one server.
type Channels = Vec<ChannelView>;

impl Directory {
    /// The gateway said something changed in a server (`None`: the bot joined or left one).
    pub fn changed(&self, bot_id: i64, guild_id: Option<u64>) {
        match guild_id {
            Some(guild) => {
                lock(&self.channels).remove(&(bot_id, guild));
            }
            None => {
                lock(&self.servers).remove(&bot_id);
            }
        }
    }

    /// Forgets a deleted bot.
    pub fn forget(&self, bot_id: i64) {
        lock(&self.servers).remove(&bot_id);
        lock(&self.channels).retain(|(b, _), _| *b != bot_id);
    }
}

/// What a failed read says, in words.
fn explain(what: &str, f: &Failure) -> String {
    match f.code {
        Some(code) => format!("Discord refused to list {what}: {} ({code})", f.message),
        None => format!("could not list {what}: {}", f.message),
    }
}

fn kind_word(kind: ChannelType) -> &'static str {
    match kind {
        ChannelType::GuildText => "text",
        ChannelType::GuildAnnouncement => "announcement",
        ChannelType::GuildForum => "forum",
        ChannelType::GuildVoice => "voice",
        ChannelType::GuildStageVoice => "stage",
        ChannelType::GuildCategory => "category",
        _ => "other",
    }
}

/// The bot's permissions in a server: `@everyone`'s (the role whose id is the server's) and its
/// roles' together; all of them for the owner or with Administrator (Discord's calculation).
pub fn server_permissions(owner: bool, everyone: Permissions, roles: &[Permissions]) -> Permissions {
    if owner {
        return Permissions::all();
    }
    let base = roles.iter().fold(everyone, |p, r| p | *r);
    if base.contains(Permissions::ADMINISTRATOR) {
        Permissions::all()
    } else {
        base
    }
}

/// The bot's permissions in a channel: the server's, then the channel's overwrites for
/// `@everyone`, for its roles together, and for itself, each denying then allowing (Discord's
/// calculation).
pub fn channel_permissions(
    base: Permissions,
    overwrites: &[PermissionOverwrite],
    guild_id: u64,
    roles: &[u64],
    member_id: u64,
) -> Permissions {
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::all();
    }
    let mut perms = base;
    if let Some(everyone) = overwrites.iter().find(|o| o.id.get() == guild_id) {
        perms = (perms - everyone.deny) | everyone.allow;
    }
    let (mut allow, mut deny) = (Permissions::empty(), Permissions::empty());
    for o in overwrites.iter().filter(|o| o.kind == PermissionOverwriteType::Role && roles.contains(&o.id.get())) {
        allow |= o.allow;
        deny |= o.deny;
    }
    perms = (perms - deny) | allow;
    if let Some(own) = overwrites.iter().find(|o| o.kind == PermissionOverwriteType::Member && o.id.get() == member_id)
    {
        perms = (perms - own.deny) | own.allow;
    }
    perms
}

impl Fleet {
    /// One page of the servers a bot is in (after server `after`, at most `limit`), each with the
    /// channels it sees; whether there are more.
    pub async fn servers(&self, bot_id: i64, after: Option<u64>, limit: usize) -> Result<(Vec<ServerView>, bool)> {
        let (me, all) = self.server_list(bot_id).await?;
        let rest: Vec<Server> = all.into_iter().filter(|s| after.is_none_or(|a| s.id > a)).collect();
        let more = rest.len() > limit;
        let page: Vec<Server> = rest.into_iter().take(limit).collect();
        let views = views(page, |server| async move { self.server_channels(bot_id, me, &server).await }).await;
        Ok((views, more))
    }

    /// The first `limit` servers an unsaved bot's token is in, each with the channels it sees
    /// (for the pickers of a bot being added; nothing is kept).
    pub async fn servers_of_token(&self, token: &crate::secrets::Secret, limit: usize) -> Result<Vec<ServerView>> {
        let rest =
            BotRest { http: std::sync::Arc::new(self.inner.discord.client(token)), meter: self.rest_meter(None) };
        let (me, all) = read_server_list(&rest).await?;
        let page: Vec<Server> = all.into_iter().take(limit).collect();
        let rest = &rest;
        Ok(views(page, |server| async move { read_channels(rest, me, &server).await }).await)
    }

    /// The bot's user id and every server it is in (kept [`KEEP`]).
    async fn server_list(&self, bot_id: i64) -> Result<ServerList> {
        if let Some(kept) = lock(&self.inner.directory.servers).get(&bot_id).and_then(Kept::fresh) {
            return Ok(kept);
        }
        let value = read_server_list(&self.rest(bot_id).await?).await?;
        lock(&self.inner.directory.servers).insert(bot_id, Kept { at: Instant::now(), value: value.clone() });
        Ok(value)
    }

    /// The channels the bot sees in a server, and whether it may post in each (kept [`KEEP`]).
    async fn server_channels(&self, bot_id: i64, me: u64, server: &Server) -> Result<Vec<ChannelView>> {
        if let Some(kept) = lock(&self.inner.directory.channels).get(&(bot_id, server.id)).and_then(Kept::fresh) {
            return Ok(kept);
        }
        let views = read_channels(&self.rest(bot_id).await?, me, server).await?;
        lock(&self.inner.directory.channels)
            .insert((bot_id, server.id), Kept { at: Instant::now(), value: views.clone() });
        Ok(views)
    }
}

/// Each server with its channels (`channels` reads them), a few servers at once; a server whose
/// channels could not be read says why.
async fn views<F, Fut>(page: Vec<Server>, channels: F) -> Vec<ServerView>
where
    F: Fn(Server) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<ChannelView>>>,
{
    use futures_util::StreamExt as _;
    futures_util::stream::iter(page)
        .map(|server| {
            let (id, name) = (server.id.to_string(), server.name.clone());
            let read = channels(server);
            async move {
                match read.await {
                    Ok(channels) => ServerView { id, name, channels, error: None },
                    Err(e) => ServerView { id, name, channels: Vec::new(), error: Some(e.to_string()) },
                }
            }
        })
        .buffered(AT_ONCE)
        .collect()
        .await
}

/// The bot's user id and every server it is in, read from Discord.
async fn read_server_list(rest: &BotRest) -> Result<ServerList> {
    let me = rest.meter.call(rest.http.current_user()).await.map_err(|f| discord("the bot", &f))?;
    let me = read_model(me).await.map_err(|f| discord("the bot", &f))?.id.get();
    let mut servers: Vec<Server> = Vec::new();
    loop {
        let mut call = rest.http.current_user_guilds().limit(GUILDS_PER_CALL);
        if let Some(last) = servers.last().and_then(|s| Id::new_checked(s.id)) {
            call = call.after(last);
        }
        let answer = rest.meter.call(call).await.map_err(|f| discord("the bot's servers", &f))?;
        let got = read_models(answer).await.map_err(|f| discord("the bot's servers", &f))?;
        let full = got.len() == usize::from(GUILDS_PER_CALL);
        servers.extend(got.into_iter().map(|g| Server { id: g.id.get(), name: g.name, owner: g.owner }));
        if !full {
            break;
        }
    }
    servers.sort_by_key(|s| s.id);
    Ok((me, servers))
}

/// The channels the bot sees in a server, and whether it may post in each, read from Discord.
async fn read_channels(rest: &BotRest, me: u64, server: &Server) -> Result<Vec<ChannelView>> {
    let (Some(guild), Some(user)) = (Id::new_checked(server.id), Id::new_checked(me)) else {
        return Ok(Vec::new());
    };
    let what = format!("the channels of {}", server.name);
    let fail = |f: Failure| discord(&what, &f);
    let (channels, roles, member) = tokio::try_join!(
        async { read_models(rest.meter.call(rest.http.guild_channels(guild)).await?).await },
        async { read_models(rest.meter.call(rest.http.roles(guild)).await?).await },
        async { read_model(rest.meter.call(rest.http.guild_member(guild, user)).await?).await },
    )
    .map_err(fail)?;
    let everyone = roles.iter().find(|r| r.id.get() == server.id).map_or(Permissions::empty(), |r| r.permissions);
    let mine: Vec<u64> = member.roles.iter().map(|r| r.get()).collect();
    let held: Vec<Permissions> = roles.iter().filter(|r| mine.contains(&r.id.get())).map(|r| r.permissions).collect();
    let base = server_permissions(server.owner, everyone, &held);
    let mut listed: Vec<(i32, ChannelView)> = channels
        .into_iter()
        .filter_map(|c| {
            let overwrites = c.permission_overwrites.as_deref().unwrap_or_default();
            let perms = channel_permissions(base, overwrites, server.id, &mine, me);
            if !perms.contains(Permissions::VIEW_CHANNEL) {
                return None;
            }
            let kind = kind_word(c.kind);
            let postable = matches!(kind, "text" | "announcement");
            let view = ChannelView {
                id: c.id.get().to_string(),
                name: c.name.unwrap_or_default(),
                kind,
                can_post: postable && perms.contains(Permissions::SEND_MESSAGES),
            };
            Some((c.position.unwrap_or(0), view))
        })
        .collect();
    listed.sort_by_key(|(position, _)| *position);
    Ok(listed.into_iter().map(|(_, v)| v).collect())
}

fn discord(what: &str, f: &Failure) -> Error {
    Error::Discord { status: f.status, message: explain(what, f) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use twilight_model::id::marker::GenericMarker;

    fn overwrite(id: u64, kind: PermissionOverwriteType, allow: Permissions, deny: Permissions) -> PermissionOverwrite {
        PermissionOverwrite { id: Id::<GenericMarker>::new(id), kind, allow, deny }
    }

    #[test]
    fn permissions_follow_discords_calculation() {
        let (guild, role, bot) = (10, 20, 30);
        let everyone = Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES;
        let base = server_permissions(false, everyone, &[Permissions::EMBED_LINKS]);
        assert_eq!(base, everyone | Permissions::EMBED_LINKS);
        assert_eq!(server_permissions(true, Permissions::empty(), &[]), Permissions::all(), "the owner");
        assert_eq!(server_permissions(false, Permissions::ADMINISTRATOR, &[]), Permissions::all());
        // @everyone may not post; the bot's role may; the bot itself may not see it.
        let read_only =
            [overwrite(guild, PermissionOverwriteType::Role, Permissions::empty(), Permissions::SEND_MESSAGES)];
        assert!(!channel_permissions(base, &read_only, guild, &[role], bot).contains(Permissions::SEND_MESSAGES));
        let role_allows = [
            read_only[0],
            overwrite(role, PermissionOverwriteType::Role, Permissions::SEND_MESSAGES, Permissions::empty()),
        ];
        assert!(channel_permissions(base, &role_allows, guild, &[role], bot).contains(Permissions::SEND_MESSAGES));
        assert!(!channel_permissions(base, &role_allows, guild, &[], bot).contains(Permissions::SEND_MESSAGES));
        let hidden = [
            role_allows[1],
            overwrite(bot, PermissionOverwriteType::Member, Permissions::empty(), Permissions::VIEW_CHANNEL),
        ];
        assert!(!channel_permissions(base, &hidden, guild, &[role], bot).contains(Permissions::VIEW_CHANNEL));
        // Administrator passes every overwrite.
        assert_eq!(channel_permissions(Permissions::all(), &hidden, guild, &[role], bot), Permissions::all());
    }
}
