//! The database's configuration as a document, read in one transaction: what an export writes
//! and what an import compares the document with. Ids become names here (a webhook's bot filter
//! too); secrets (bot tokens, alert channels' and webhooks' URLs and signing secrets) are sealed
//! under the passphrase's key when one is given, else left out.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::document::{
    BotItem, ChannelItem, Document, ProductItem, RuleItem, ScheduleItem, ServerItem, SettingsItem, WebhookFilterItem,
    WebhookItem, WindowItem, FORMAT, VERSION,
};
use super::seal::Sealer;
use crate::alerts::repo as alerts;
use crate::bots::{repo as bots, servers};
use crate::error::Result;
use crate::schedules::repo as schedules;
use crate::secrets::{Secret, TokenCipher};
use crate::stock::repo as products;
use crate::time::rfc3339;
use crate::webhooks::repo as webhooks;

/// The ids behind a snapshot's names, for an import to update what it matched.
#[derive(Debug, Default)]
pub struct Ids {
    /// Bot name → id.
    pub bots: HashMap<String, i64>,
    /// SKU (lower case) → product id.
    pub products: HashMap<String, i64>,
    pub channels: HashMap<String, i64>,
    pub rules: HashMap<String, i64>,
    /// Window name → id (the first window of that name).
    pub windows: HashMap<String, i64>,
    /// Schedule key ([`schedule_key`]) → id.
    pub schedules: HashMap<String, i64>,
    /// Webhook name → (id, version): an import changes it at the version it read.
    pub webhooks: HashMap<String, (i64, i64)>,
}

/// What identifies a schedule, which has no name: everything but its on/off switch and policy.
pub fn schedule_key(s: &ScheduleItem) -> String {
    serde_json::json!([s.bot, s.channel_id, s.once, s.cron, s.time_zone, s.message]).to_string()
}

fn name_of(names: &HashMap<i64, String>, id: i64, what: &str) -> String {
    names.get(&id).cloned().unwrap_or_else(|| format!("(deleted {what} {id})"))
}

/// Reads every section on `conn`. With `sealer`, tokens, channel and webhook URLs and signing
/// secrets are opened with the installation's key and sealed with the passphrase's.
pub async fn read(
    conn: &mut AnyConnection,
    cipher: &TokenCipher,
    sealer: Option<&Sealer>,
    now: i64,
) -> Result<(Document, Ids)> {
    let mut ids = Ids::default();
    let seal = |secret: &Secret| sealer.map(|s| s.seal(secret)).transpose();

    let bot_rows = bots::all_in(conn).await?;
    let bot_names: HashMap<i64, String> = bot_rows.iter().map(|b| (b.id, b.name.clone())).collect();
    let mut bot_items = Vec::with_capacity(bot_rows.len());
    for b in &bot_rows {
        ids.bots.insert(b.name.clone(), b.id);
        let token = match sealer {
            Some(_) => seal(&bots::token_in(conn, cipher, b.id).await?)?,
            None => None,
        };
        bot_items.push(BotItem {
            name: b.name.clone(),
            prefix: b.prefix.clone(),
            intents: b.intents.clone(),
            channel_ids: b.channel_ids.clone(),
            anti_spam: b.anti_spam,
            stock_channel_id: b.stock_channel_id.clone(),
            back_in_stock_channel_id: b.back_in_stock_channel_id.clone(),
            low_stock_channel_id: b.low_stock_channel_id.clone(),
            token,
        });
    }
    bot_items.sort_by(|a, b| a.name.cmp(&b.name));

    let mut server_items: Vec<ServerItem> = servers::all_in(conn)
        .await?
        .into_iter()
        .map(|s| ServerItem {
            bot: name_of(&bot_names, s.bot_id, "bot"),
            guild_id: s.guild_id,
            prefix: s.prefix,
            channel_ids: s.channel_ids,
            anti_spam: s.anti_spam,
            stock_channel_id: s.stock_channel_id,
            back_in_stock_channel_id: s.back_in_stock_channel_id,
            low_stock_channel_id: s.low_stock_channel_id,
        })
        .collect();
    server_items.sort_by(|a, b| (&a.bot, &a.guild_id).cmp(&(&b.bot, &b.guild_id)));

    let mut product_items = Vec::new();
    for p in products::all_in(conn).await? {
        ids.products.insert(p.sku.to_lowercase(), p.id);
        product_items.push(ProductItem {
            sku: p.sku,
            name: p.name,
            description: p.description,
            price_minor: p.price_minor,
            currency: p.currency,
            stock: p.stock,
            low_stock_threshold: p.low_stock_threshold,
            visible: p.visible,
            sort_order: p.sort_order,
        });
    }

    let mut channel_items = Vec::new();
    let mut channel_names = HashMap::new();
    for d in alerts::destinations_in(conn, cipher).await? {
        ids.channels.insert(d.name.clone(), d.id);
        channel_names.insert(d.id, d.name.clone());
        channel_items.push(ChannelItem {
            name: d.name,
            kind: d.kind,
            url: seal(&d.url)?,
            secret: d.secret.as_ref().map(seal).transpose()?.flatten(),
        });
    }

    let mut rule_items = Vec::new();
    let mut rule_names = HashMap::new();
    for r in alerts::rules_in(conn).await? {
        ids.rules.insert(r.name.clone(), r.id);
        rule_names.insert(r.id, r.name.clone());
        rule_items.push(RuleItem {
            name: r.name,
            condition: r.condition,
            bot: r.bot_id.map(|id| name_of(&bot_names, id, "bot")),
            failures_in_a_row: r.failures_in_a_row,
            resend_every_seconds: r.resend_every_seconds,
            notify_recovery: r.notify_recovery,
            channels: r.channel_ids.iter().map(|id| name_of(&channel_names, *id, "channel")).collect(),
            enabled: r.enabled,
        });
    }

    let mut window_items = Vec::new();
    for w in alerts::windows_in(conn).await? {
        ids.windows.entry(w.name.clone()).or_insert(w.id);
        let (once, weekly) = w.schedule.shown();
        window_items.push(WindowItem {
            name: w.name,
            rule: w.rule_id.map(|id| name_of(&rule_names, id, "rule")),
            bot: w.bot_id.map(|id| name_of(&bot_names, id, "bot")),
            once,
            weekly,
        });
    }
    window_items.sort_by(|a, b| a.name.cmp(&b.name));

    let mut schedule_items = Vec::new();
    for s in schedules::all_in(conn).await? {
        let item = schedule_item(&name_of(&bot_names, s.settings.bot_id, "bot"), &s.settings);
        ids.schedules.entry(schedule_key(&item)).or_insert(s.id);
        schedule_items.push(item);
    }
    schedule_items.sort_by_key(schedule_key);

    let mut targets = match sealer {
        Some(_) => webhooks::targets_in(conn, cipher).await?.into_iter().collect(),
        None => HashMap::new(),
    };
    let mut webhook_items = Vec::new();
    for w in webhooks::all_in(conn).await? {
        ids.webhooks.insert(w.name.clone(), (w.id, w.version));
        let (url, secret) = match targets.remove(&w.name) {
            Some(t) => (seal(&t.url)?, t.secret.as_ref().map(seal).transpose()?.flatten()),
            None => (None, None),
        };
        // A bot deleted since the filter was made is left out: it has no name, and no events.
        let mut bots: Option<Vec<String>> =
            w.filters.bot_ids.map(|b| b.iter().filter_map(|id| bot_names.get(id).cloned()).collect());
        if let Some(names) = &mut bots {
            names.sort();
        }
        webhook_items.push(WebhookItem {
            name: w.name,
            kind: w.kind,
            url,
            secret,
            events: w.events,
            filters: WebhookFilterItem { bots, commands: w.filters.commands, outcomes: w.filters.outcomes },
        });
    }
    webhook_items.sort_by(|a, b| a.name.cmp(&b.name));

    let settings = SettingsItem {
        security: Some(crate::auth::settings::load_in(conn).await?),
        retention: Some(crate::retention::load_overrides_in(conn).await?),
    };

    let document = Document {
        format: FORMAT.into(),
        version: VERSION,
        exported_at: rfc3339(now),
        secrets: None,
        bots: Some(bot_items),
        server_settings: Some(server_items),
        products: Some(product_items),
        alert_channels: Some(channel_items),
        alert_rules: Some(rule_items),
        maintenance_windows: Some(window_items),
        schedules: Some(schedule_items),
        webhooks: Some(webhook_items),
        settings: Some(settings),
    };
    Ok((document, ids))
}

/// A schedule's settings as a document shows them (its bot by `bot`).
pub fn schedule_item(bot: &str, s: &crate::schedules::model::Settings) -> ScheduleItem {
    ScheduleItem {
        bot: bot.to_owned(),
        channel_id: s.channel_id.to_string(),
        message: s.message.clone(),
        once: s.once.map(rfc3339),
        cron: s.cron.clone(),
        time_zone: s.time_zone.clone(),
        enabled: s.enabled,
        missed: s.missed,
    }
}
