//! "Test this config": asks Discord (the emulator in tests), check by check, whether a token is
//! valid, whether its application can be read and its slash commands managed, whether the
//! application allows the privileged intents requested, and whether each configured channel exists
//! and is reachable — answered in plain language.

use std::future::IntoFuture;
use std::time::Duration;

use serde::Serialize;
use twilight_model::id::Id;
use utoipa::ToSchema;

use super::model::PRIVILEGED;
use crate::discord::{read_model, read_models, DiscordApi, Failure};
use crate::secrets::Secret;

/// One check's verdict.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct Check {
    /// `token`, `application`, `intents` or `channel <id>`.
    pub check: String,
    pub ok: bool,
    /// What was found, or what is wrong and how to fix it.
    pub detail: String,
}

/// All verdicts; `ok` when every check passed.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ConfigReport {
    pub ok: bool,
    pub checks: Vec<Check>,
}

const STEP: Duration = Duration::from_secs(15);

/// A request bounded by [`STEP`], its answer read by `read` ([`read_model`] or [`read_models`]).
async fn bounded<M, T, F, R>(fut: F, read: impl FnOnce(twilight_http::Response<M>) -> R) -> Result<T, Failure>
where
    F: IntoFuture<Output = Result<twilight_http::Response<M>, twilight_http::Error>>,
    R: std::future::Future<Output = Result<T, Failure>>,
{
    let response = tokio::time::timeout(STEP, fut.into_future()).await.map_err(|_| Failure::timed_out())?;
    read(response.map_err(|e| Failure::from_http(&e))?).await
}

async fn call<T, F>(fut: F) -> Result<T, Failure>
where
    F: IntoFuture<Output = Result<twilight_http::Response<T>, twilight_http::Error>>,
    T: serde::de::DeserializeOwned,
{
    bounded(fut, read_model).await
}

async fn call_list<T, F>(fut: F) -> Result<Vec<T>, Failure>
where
    F: IntoFuture<
        Output = Result<twilight_http::Response<twilight_http::response::marker::ListBody<T>>, twilight_http::Error>,
    >,
    T: serde::de::DeserializeOwned,
{
    bounded(fut, read_models).await
}

fn pass(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { check: check.into(), ok: true, detail: detail.into() }
}

fn fail(check: impl Into<String>, detail: impl Into<String>) -> Check {
    Check { check: check.into(), ok: false, detail: detail.into() }
}

/// Runs every check. Later checks need a valid token; they are reported as skipped otherwise.
/// `slash` names the slash commands botfleet registers when the bot starts.
pub async fn run(
    discord: &DiscordApi,
    token: &Secret,
    intents: u64,
    channels: &[u64],
    slash: &[String],
) -> ConfigReport {
    let client = discord.client(token);
    let mut checks = Vec::new();
    let token_ok = match call(client.current_user()).await {
        Ok(user) => {
            checks.push(pass("token", format!("valid: logs in as {} (id {})", user.name, user.id)));
            true
        }
        Err(f) if f.status == Some(401) => {
            checks.push(fail("token", "Discord rejected the token (401 Unauthorized): copy it again from the developer portal (Bot → Reset Token)"));
            false
        }
        Err(f) if f.not_discord => {
            let answer = discord.describe_answer(token, "/api/v10/users/@me").await;
            checks.push(fail("token", format!("could not check the token: {}. {answer}", f.message)));
            false
        }
        Err(f) => {
            checks.push(fail("token", format!("could not check the token: {} ({})", f.message, discord.base())));
            false
        }
    };
    let privileged: Vec<&(&str, u64, u64)> = PRIVILEGED
        .iter()
        .filter(|(name, _, _)| super::model::INTENTS.iter().any(|(n, b)| n == name && intents & b != 0))
        .collect();
    if !token_ok {
        checks.push(fail("application", "skipped: needs a valid token"));
        checks.push(fail("intents", "skipped: needs a valid token"));
        for id in channels {
            checks.push(fail(format!("channel {id}"), "skipped: needs a valid token"));
        }
        return ConfigReport { ok: false, checks };
    }
    let application = call(client.current_user_application()).await;
    checks.push(match &application {
        Ok(app) => match call_list(client.interaction(app.id).global_commands()).await {
            Ok(registered) => {
                let have: Vec<&str> = registered.iter().map(|c| c.name.as_str()).collect();
                let missing: Vec<&str> =
                    slash.iter().map(String::as_str).filter(|name| !have.contains(name)).collect();
                let commands = if missing.is_empty() {
                    format!("botfleet's {} slash commands are registered", slash.len())
                } else {
                    format!(
                        "{} of botfleet's {} slash commands are registered (/{} when the bot starts)",
                        slash.len() - missing.len(),
                        slash.len(),
                        missing.join(", /")
                    )
                };
                pass("application", format!("{} (id {}) can be read and its slash commands managed: {commands}", app.name, app.id))
            }
            Err(f) => fail(
                "application",
                format!(
                    "{} (id {}) can be read, but its slash commands cannot ({}): slash commands will not work; prefix commands will",
                    app.name, app.id, f.message
                ),
            ),
        },
        Err(f) => fail(
            "application",
            format!("the application cannot be read ({}): slash commands will not be registered", f.message),
        ),
    });
    match application {
        Ok(app) => {
            let flags = app.flags.map_or(0, |f| f.bits());
            let missing: Vec<&str> = privileged
                .iter()
                .filter(|(_, full, limited)| flags & (full | limited) == 0)
                .map(|(name, _, _)| *name)
                .collect();
            if missing.is_empty() {
                let names: Vec<&str> = privileged.iter().map(|(n, _, _)| *n).collect();
                checks.push(pass(
                    "intents",
                    if names.is_empty() {
                        "no privileged intents requested".to_owned()
                    } else {
                        format!("the application allows the privileged intents requested: {}", names.join(", "))
                    },
                ));
            } else {
                checks.push(fail("intents", format!(
                    "{} requested but not enabled for this application: enable it in the Discord developer portal (Bot → Privileged Gateway Intents) or remove it",
                    missing.join(", ")
                )));
            }
        }
        Err(f) => checks.push(fail("intents", format!("could not read the application: {}", f.message))),
    }
    for id in channels {
        let Some(channel) = Id::new_checked(*id) else {
            continue;
        };
        let name = format!("channel {id}");
        match call(client.channel(channel)).await {
            Ok(c) => checks.push(pass(name, format!("#{} is reachable", c.name.unwrap_or_default()))),
            Err(f) if f.code == Some(10003) || f.status == Some(404) => {
                checks.push(fail(name, "does not exist (Discord: Unknown Channel): check the id"))
            }
            Err(f) if f.code == Some(50001) || f.status == Some(403) => checks.push(fail(
                name,
                "exists but the bot cannot see it (Discord: Missing Access): invite the bot to that server or give it View Channel",
            )),
            Err(f) => checks.push(fail(name, format!("could not be checked: {}", f.message))),
        }
    }
    ConfigReport { ok: checks.iter().all(|c| c.ok), checks }
}
