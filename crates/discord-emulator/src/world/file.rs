//! A world described in TOML (`discord-emulator --world world.toml`), and the default world
//! used when none is given.
//!
//! ```toml
//! [[applications]]
//! name = "Shop Bot"
//! token = "optional-fixed-token"
//!
//! [[users]]
//! username = "alice"
//!
//! [[guilds]]
//! name = "Emulator Shop"
//! owner = "alice"                 # a username; the first user when absent
//! channels = ["general", "stock"]
//! members = ["alice", "Shop Bot"] # usernames and application names; everyone when absent
//! ```

use serde::{Deserialize, Serialize};

use super::{ApplicationInfo, ApplicationSpec, State, WorldError};

/// A user in a world file.
#[derive(Debug, Clone, Deserialize)]
pub struct UserSpec {
    pub username: String,
}

/// A guild in a world file.
#[derive(Debug, Clone, Deserialize)]
pub struct GuildSpec {
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub members: Option<Vec<String>>,
}

/// A whole world file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    #[serde(default)]
    pub applications: Vec<ApplicationSpec>,
    #[serde(default)]
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub guilds: Vec<GuildSpec>,
}

impl WorldSpec {
    /// Parses a world file.
    pub fn from_toml(text: &str) -> Result<Self, WorldError> {
        toml::from_str(text).map_err(|e| WorldError::Invalid(format!("world file: {e}")))
    }

    /// One shop guild with `general` and `stock` channels, two users and one bot.
    pub fn default_world() -> Self {
        Self {
            applications: vec![ApplicationSpec { name: "Shop Bot".into(), ..ApplicationSpec::default() }],
            users: vec![UserSpec { username: "alice".into() }, UserSpec { username: "bob".into() }],
            guilds: vec![GuildSpec {
                name: "Emulator Shop".into(),
                owner: None,
                channels: vec!["general".into(), "stock".into()],
                members: None,
            }],
        }
    }
}

/// A guild that was created, with its channels.
#[derive(Debug, Clone, Serialize)]
pub struct GuildSummary {
    pub id: u64,
    pub name: String,
    pub channels: Vec<(String, u64)>,
}

/// What loading a world created: ids and tokens to print or use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorldSummary {
    pub applications: Vec<ApplicationInfo>,
    pub users: Vec<(String, u64)>,
    pub guilds: Vec<GuildSummary>,
}

impl State {
    /// Creates everything a world file describes.
    pub fn load(&mut self, spec: WorldSpec) -> Result<WorldSummary, WorldError> {
        let mut summary = WorldSummary::default();
        for app in spec.applications {
            summary.applications.push(self.create_application(app)?);
        }
        for user in spec.users {
            let id = self.create_user(&user.username)?;
            summary.users.push((user.username, id));
        }
        let lookup = |name: &str, summary: &WorldSummary| {
            summary
                .users
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, id)| *id)
                .or_else(|| summary.applications.iter().find(|a| a.name == name).map(|a| a.bot_user_id))
                .ok_or_else(|| WorldError::Invalid(format!("world file: no user or application named {name:?}")))
        };
        for guild in spec.guilds {
            let owner = match &guild.owner {
                Some(name) => lookup(name, &summary)?,
                None => match summary.users.first() {
                    Some((_, id)) => *id,
                    None => self.create_user("guild-owner")?,
                },
            };
            let id = self.create_guild(&guild.name, owner)?;
            let mut channels = Vec::new();
            for name in &guild.channels {
                channels.push((name.clone(), self.create_channel(id, name, None)?));
            }
            let members: Vec<u64> = match &guild.members {
                Some(names) => names.iter().map(|n| lookup(n, &summary)).collect::<Result<_, _>>()?,
                None => summary
                    .users
                    .iter()
                    .map(|(_, id)| *id)
                    .chain(summary.applications.iter().map(|a| a.bot_user_id))
                    .collect(),
            };
            for user in members.into_iter().filter(|u| *u != owner) {
                self.add_member(id, user, vec![])?;
            }
            summary.guilds.push(GuildSummary { id, name: guild.name, channels });
        }
        Ok(summary)
    }
}
