//! Fan-out: which sessions receive an event, honouring membership, channel visibility, shards
//! and intents (message content is blanked for bots without the MESSAGE_CONTENT intent).

use serde_json::{json, Value};

use super::model::{Message, APP_FLAG_MESSAGE_CONTENT};
use super::sessions::{INTENT_DIRECT_MESSAGES, INTENT_GUILDS, INTENT_GUILD_MESSAGES, INTENT_MESSAGE_CONTENT};
use super::views::MessageView;
use super::{json as render, permissions, State};

impl State {
    /// Queues a dispatch to every session of one application that owns `guild_id`'s shard and has
    /// any of `intents` (0 = no intent needed).
    pub fn dispatch_to_app(&mut self, app_id: u64, guild_id: Option<u64>, intents: u64, event: &str, data: &str) {
        let capacity = self.replay_capacity;
        let mut sent = 0;
        self.sessions.each_of_app(app_id, |s| {
            if s.owns_guild(guild_id) && (intents == 0 || s.intents & intents != 0) {
                s.push(event, data, capacity);
                sent += 1;
            }
        });
        self.counters.dispatched(event, sent);
    }

    /// Queues a dispatch to every bot that is a member of a guild.
    pub fn dispatch_guild_bots(&mut self, guild_id: u64, intents: u64, event: &str, data: &str) {
        for app_id in self.guild_apps(guild_id) {
            self.dispatch_to_app(app_id, Some(guild_id), intents, event, data);
        }
    }

    /// Applications whose bot is a member of the guild.
    pub fn guild_apps(&self, guild_id: u64) -> Vec<u64> {
        self.guilds
            .get(&guild_id)
            .map_or_else(Vec::new, |g| g.members.keys().filter_map(|uid| self.bot_apps.get(uid).copied()).collect())
    }

    /// Sends `GUILD_CREATE` for one guild to an application's sessions.
    pub fn dispatch_guild_create(&mut self, app_id: u64, guild_id: u64) {
        let Some(bot) = self.applications.get(&app_id).map(|a| a.bot_user_id) else {
            return;
        };
        // The payload holds every member: rendered only when a session will receive it (adding
        // many bots to one guild would otherwise cost the square of its size).
        let mut listening = false;
        self.sessions.each_of_app(app_id, |_| listening = true);
        if !listening {
            return;
        }
        let Some(data) = self.guilds.get(&guild_id).map(|g| render::guild_create(self, g, bot)) else {
            return;
        };
        self.dispatch_to_app(app_id, Some(guild_id), INTENT_GUILDS, "GUILD_CREATE", &data.to_string());
    }

    /// Sends `MESSAGE_CREATE` or `MESSAGE_UPDATE` for a message to every bot that can see it. The
    /// payload is rendered once; the blanked variant only if some session receives it.
    pub fn dispatch_message(&mut self, event: &str, message: &Message) {
        let full = MessageView { state: self, message, gateway: true, blank: false }.render();
        let mut blank: Option<String> = None;
        for (app_id, bot_user) in self.viewers(message.channel_id) {
            let app_flags = self.applications.get(&app_id).map_or(0, |a| a.flags);
            let always =
                message.guild_id.is_none() || message.author_id == bot_user || message.mentions.contains(&bot_user);
            let needed = if message.guild_id.is_some() { INTENT_GUILD_MESSAGES } else { INTENT_DIRECT_MESSAGES };
            let capacity = self.replay_capacity;
            let mut sent = 0;
            let mut blanked = 0;
            self.sessions.each_of_app(app_id, |s| {
                if !s.owns_guild(message.guild_id) || s.intents & needed == 0 {
                    return;
                }
                let content =
                    always || (s.intents & INTENT_MESSAGE_CONTENT != 0 && app_flags & APP_FLAG_MESSAGE_CONTENT != 0);
                if content {
                    s.push(event, &full, capacity);
                    sent += 1;
                } else {
                    blanked += 1;
                }
            });
            if blanked > 0 {
                // Rendered here, outside the session walk (which borrows the sessions mutably).
                let blank = blank
                    .get_or_insert_with(|| MessageView { state: self, message, gateway: true, blank: true }.render());
                self.sessions.each_of_app(app_id, |s| {
                    if !s.owns_guild(message.guild_id) || s.intents & needed == 0 {
                        return;
                    }
                    let content = always
                        || (s.intents & INTENT_MESSAGE_CONTENT != 0 && app_flags & APP_FLAG_MESSAGE_CONTENT != 0);
                    if !content {
                        s.push(event, blank, capacity);
                    }
                });
            }
            self.counters.dispatched(event, sent + blanked);
        }
    }

    /// Sends `MESSAGE_DELETE` to every bot that can see the channel.
    pub fn dispatch_message_delete(&mut self, message: &Message) {
        let mut data = json!({"id": message.id.to_string(), "channel_id": message.channel_id.to_string()});
        if let (Some(obj), Some(g)) = (data.as_object_mut(), message.guild_id) {
            obj.insert("guild_id".into(), Value::String(g.to_string()));
        }
        let data = data.to_string();
        let needed = if message.guild_id.is_some() { INTENT_GUILD_MESSAGES } else { INTENT_DIRECT_MESSAGES };
        for (app_id, _) in self.viewers(message.channel_id) {
            self.dispatch_to_app(app_id, message.guild_id, needed, "MESSAGE_DELETE", &data);
        }
    }

    /// (application id, bot user id) of every bot that can view a channel.
    fn viewers(&mut self, channel_id: u64) -> Vec<(u64, u64)> {
        let Some(channel) = self.channels.get(&channel_id) else {
            return vec![];
        };
        match channel.guild_id.and_then(|g| self.guilds.get(&g)) {
            Some(guild) => {
                // The guild's bots, kept between dispatches rather than found on each one by
                // walking every member and looking each up among the bots (which showed in the
                // profile under load). Members and bots are only ever added, so a changed count
                // is a changed set.
                let counts = (guild.members.len(), self.bot_apps.len());
                let bot_apps = &self.bot_apps;
                let cached = self.guild_bots.entry(guild.id).or_insert_with(|| ((usize::MAX, 0), Vec::new()));
                if cached.0 != counts {
                    let bots =
                        guild.members.keys().filter_map(|uid| bot_apps.get(uid).map(|app| (*app, *uid))).collect();
                    *cached = (counts, bots);
                }
                cached
                    .1
                    .iter()
                    .copied()
                    .filter(|(_, uid)| permissions::in_channel(guild, channel, *uid) & permissions::VIEW_CHANNEL != 0)
                    .collect()
            }
            None => {
                channel.recipients.iter().filter_map(|uid| self.bot_apps.get(uid).map(|app| (*app, *uid))).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::clock::Clock;
    use crate::world::model::Overwrite;
    use crate::world::ApplicationSpec;

    fn app(state: &mut State, name: &str) -> (u64, u64) {
        let info =
            state.create_application(ApplicationSpec { name: name.into(), ..Default::default() }).expect("application");
        (info.application_id, info.bot_user_id)
    }

    #[test]
    fn viewers_follow_members_bots_and_overwrites_between_dispatches() {
        let mut state = State::new(Arc::new(Clock::new()), 16);
        let owner = state.create_user("owner").expect("user");
        let guild = state.create_guild("Guild", owner).expect("guild");
        let channel = state.create_channel(guild, "general", None).expect("channel");
        let a = app(&mut state, "A");
        state.add_member(guild, a.1, vec![]).expect("member");
        assert_eq!(state.viewers(channel), vec![a]);
        // A bot joining later is seen by the next dispatch.
        let b = app(&mut state, "B");
        assert_eq!(state.viewers(channel), vec![a], "a new bot outside the guild sees nothing");
        state.add_member(guild, b.1, vec![]).expect("member");
        let mut both = vec![a, b];
        both.sort_by_key(|(_, uid)| *uid);
        assert_eq!(state.viewers(channel), both);
        let user = state.create_user("someone").expect("user");
        state.add_member(guild, user, vec![]).expect("member");
        assert_eq!(state.viewers(channel), both, "people are not viewers");
        // Channel permissions are checked on every dispatch, not kept.
        let hide = Overwrite { id: b.1, kind: 1, allow: 0, deny: permissions::VIEW_CHANNEL };
        state.set_overwrite(channel, hide).expect("overwrite");
        assert_eq!(state.viewers(channel), vec![a]);
        // A DM's bot.
        let dm = state.dm_channel(user, b.1).expect("dm");
        assert_eq!(state.viewers(dm), vec![b]);
    }
}
