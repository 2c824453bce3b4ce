//! An import's writes, in the caller's transaction, in the order references need: bots, then
//! what names them (server settings, rules, windows, schedules, webhooks' bot filters); channels
//! before the rules that name them, rules before the windows. Names become this installation's
//! ids here.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::plan::{ItemAction, Plan};
use super::snapshot::{schedule_key, Ids};
use crate::alerts::model::RuleInput;
use crate::alerts::repo as alerts;
use crate::bots::{repo as bots, servers, AntiSpamConfig};
use crate::error::{Error, FieldError, Result};
use crate::schedules::repo as schedules;
use crate::secrets::{Secret, TokenCipher};
use crate::stock::{repo as products, Product};
use crate::webhooks::repo as webhooks;

/// What was written, for the caller to tell the running service.
#[derive(Debug, Default)]
pub struct Applied {
    /// Products made or changed (their stock messages follow).
    pub products: Vec<Product>,
    /// Bots whose server settings changed (running ones apply them at once).
    pub server_bots: Vec<i64>,
    /// A schedule was made or changed (the schedule loop looks again).
    pub schedules: bool,
    /// The security settings changed (read again into memory).
    pub security: bool,
    /// A webhook was made or changed (the webhooks service reads them again).
    pub webhooks: bool,
}

fn writes(action: ItemAction) -> bool {
    matches!(action, ItemAction::Create | ItemAction::Change)
}

fn id(map: &HashMap<String, i64>, name: &str, what: &'static str) -> Result<i64> {
    map.get(name).copied().ok_or_else(|| Error::NotFound { what, id: name.to_owned() })
}

/// Writes `plan` on `conn`; `ids` are the database's, as read in this transaction.
pub(super) async fn apply(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    plan: &Plan,
    ids: &Ids,
    by: &str,
    now: i64,
) -> Result<Applied> {
    let mut applied = Applied::default();
    let mut bot_ids = ids.bots.clone();
    for b in plan.bots.iter().filter(|b| writes(b.action)) {
        match (bot_ids.get(&b.item.name).copied(), &b.token) {
            (None, Some(token)) => {
                let view = bots::insert_in(conn, cipher, &b.settings, token).await?;
                bot_ids.insert(view.name, view.id);
            }
            (None, None) => return Err(Error::field("bots", format!("no token for the new bot {:?}", b.item.name))),
            (Some(id), token) => {
                bots::replace_in(conn, id, &b.settings).await?;
                if let Some(token) = token {
                    bots::set_token_in(conn, cipher, id, token).await?;
                }
            }
        }
    }

    for s in plan.servers.iter().filter(|s| writes(s.action)) {
        let bot_id = id(&bot_ids, &s.item.bot, "bot")?;
        // The document's anti-spam limits are whole: the bot's fill nothing in.
        servers::replace_in(conn, bot_id, s.guild_id, &s.change, AntiSpamConfig::default()).await?;
        if !applied.server_bots.contains(&bot_id) {
            applied.server_bots.push(bot_id);
        }
    }

    for p in plan.products.iter().filter(|p| writes(p.action)) {
        let product = match p.action {
            ItemAction::Create => products::insert(&mut *conn, &p.product, now).await?,
            _ => products::replace_by_sku(conn, &p.product, now).await?,
        };
        applied.products.push(product);
    }

    let mut channel_ids = ids.channels.clone();
    for c in plan.channels.iter().filter(|c| writes(c.action)) {
        let secret = c.secret.as_ref().map(Secret::expose);
        match (channel_ids.get(&c.item.name).copied(), &c.url) {
            (None, Some(url)) => {
                let made = alerts::insert_channel_in(conn, cipher, &c.item.name, c.item.kind, url, secret, now).await?;
                channel_ids.insert(made.name, made.id);
            }
            (None, None) => {
                return Err(Error::field("alert_channels", format!("no URL for the new channel {:?}", c.item.name)))
            }
            (Some(id), Some(url)) => alerts::reseal_channel_in(conn, cipher, id, url, secret, now).await?,
            (Some(_), None) => {}
        }
    }

    let mut rule_ids = ids.rules.clone();
    for r in plan.rules.iter().filter(|r| writes(r.action)) {
        let item = &r.item;
        let input = RuleInput {
            name: item.name.clone(),
            condition: item.condition.clone(),
            bot_id: item.bot.as_deref().map(|b| id(&bot_ids, b, "bot")).transpose()?,
            failures_in_a_row: item.failures_in_a_row,
            resend_every_seconds: item.resend_every_seconds,
            notify_recovery: item.notify_recovery,
            channel_ids: item.channels.iter().map(|c| id(&channel_ids, c, "alert channel")).collect::<Result<_>>()?,
            enabled: item.enabled,
        };
        match rule_ids.get(&item.name).copied() {
            None => {
                let made = alerts::insert_rule_in(conn, &input, now).await?;
                rule_ids.insert(made.name, made.id);
            }
            Some(id) => {
                alerts::replace_rule_in(conn, id, &input, now).await?;
            }
        }
    }

    for w in plan.windows.iter().filter(|w| writes(w.action)) {
        let rule = w.item.rule.as_deref().map(|r| id(&rule_ids, r, "alert rule")).transpose()?;
        let bot = w.item.bot.as_deref().map(|b| id(&bot_ids, b, "bot")).transpose()?;
        match ids.windows.get(&w.item.name).copied() {
            None => {
                alerts::insert_window_in(conn, &w.item.name, rule, bot, w.schedule, now).await?;
            }
            Some(id) => alerts::replace_window_in(conn, id, rule, bot, w.schedule).await?,
        }
    }

    if plan.schedules.iter().any(|s| writes(s.action)) {
        // `{stock:SKU}` placeholders must name products, as when a schedule is made.
        let catalogue = products::all_in(conn).await?;
        let mut errors = Vec::new();
        for (i, s) in plan.schedules.iter().enumerate() {
            for e in crate::jobs::messages::unknown_skus(&s.settings.batch(), &catalogue) {
                errors.push(FieldError::new(format!("schedules[{i}].message.content"), e.message));
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
    }
    for s in plan.schedules.iter().filter(|s| writes(s.action)) {
        let mut settings = s.settings.clone();
        settings.bot_id = id(&bot_ids, &s.item.bot, "bot")?;
        match ids.schedules.get(&schedule_key(&s.item)).copied() {
            None => {
                schedules::insert_in(conn, &settings, s.first, by, now).await?;
            }
            Some(id) => schedules::set_state_in(conn, id, settings.enabled, settings.missed, s.first, now).await?,
        }
        applied.schedules = true;
    }

    for w in plan.webhooks.iter().filter(|w| writes(w.action)) {
        let mut checked = w.checked.clone();
        checked.filters.bot_ids = match &w.item.filters.bots {
            Some(names) => {
                let mut bots = names.iter().map(|b| id(&bot_ids, b, "bot")).collect::<Result<Vec<i64>>>()?;
                bots.sort_unstable();
                bots.dedup();
                Some(bots)
            }
            None => None,
        };
        match (ids.webhooks.get(&w.item.name).copied(), &checked.url) {
            (None, Some(_)) => {
                webhooks::insert_in(conn, cipher, w.item.kind, &checked, now).await?;
            }
            (None, None) => {
                return Err(Error::field("webhooks", format!("no URL for the new webhook {:?}", w.item.name)))
            }
            // Its state (active or paused) stays; its version moves on.
            (Some((webhook, version)), _) => {
                webhooks::update_in(conn, cipher, webhook, version, &checked, now).await?;
            }
        }
        applied.webhooks = true;
    }

    if let Some((settings, ItemAction::Change)) = &plan.settings {
        if let Some(security) = &settings.security {
            crate::auth::settings::save_in(conn, security).await?;
            applied.security = true;
        }
        if let Some(retention) = &settings.retention {
            crate::retention::save_overrides_in(conn, retention).await?;
        }
    }
    Ok(applied)
}
