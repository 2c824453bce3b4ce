//! An import's plan: the document checked with the rules the API applies to each thing (the
//! domains' own validators, every problem named by its path in the document), put in the form
//! the database keeps, and compared with the database section by section, item by natural key.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::document::{
    BotItem, ChannelItem, Document, ProductItem, RuleItem, ScheduleItem, ServerItem, SettingsItem, WebhookFilterItem,
    WebhookItem, WindowItem, FORMAT, VERSION,
};
use super::seal::Sealer;
use super::snapshot::{schedule_item, schedule_key};
use crate::alerts::model::{check_channel, CheckedUrl, MaintenanceInput, RuleInput, Schedule};
use crate::bots::model::{
    check_token, intent_names, parse_snowflake, token_hint, validate_update, AntiSpamRequest, Settings, Token,
    UpdateBot,
};
use crate::bots::servers::{self, PutServerSettings, ServerChange};
use crate::bots::AntiSpamConfig;
use crate::error::{Error, FieldError, Result};
use crate::schedules::model::{self as schedule_model, ScheduleInput};
use crate::secrets::Secret;
use crate::stock::model::{validate_new, NewProduct};
use crate::webhooks::model::{self as webhook_model, CreateWebhook, Filters, UpdateWebhook};

/// What an import does to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemAction {
    /// Not in the database: made.
    Create,
    /// In the database and different: changed (`changes` says how).
    Change,
    /// The same in both.
    Unchanged,
    /// In the database, not in the document: left as it is.
    Kept,
}

/// One item of a section.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ItemReport {
    /// Its natural key in words (a bot's name, a SKU, `bot / server id`, a schedule's summary).
    pub key: String,
    pub action: ItemAction,
    /// `{field: {old, new}}` (a created item: every field's new value); secrets as hints or
    /// `"(changed)"`, never themselves.
    #[schema(value_type = Object)]
    pub changes: Value,
}

/// One section's items, in the document's order, then those only in the database.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SectionReport {
    /// The section's name in the document (`bots`, `server_settings`, …).
    pub section: String,
    pub items: Vec<ItemReport>,
}

/// Counts over every section.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Totals {
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    /// In the database, not in the document: left as they are.
    pub kept: usize,
}

/// What an import does (a dry run) or did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    /// The changes were made (false for a dry run).
    pub applied: bool,
    pub totals: Totals,
    /// The sections the document has, in the document's order.
    pub sections: Vec<SectionReport>,
}

impl Report {
    /// Counts each action once.
    pub(super) fn count(&mut self) {
        let mut t = Totals::default();
        for item in self.sections.iter().flat_map(|s| &s.items) {
            match item.action {
                ItemAction::Create => t.created += 1,
                ItemAction::Change => t.changed += 1,
                ItemAction::Unchanged => t.unchanged += 1,
                ItemAction::Kept => t.kept += 1,
            }
        }
        self.totals = t;
    }

    /// The report as lines a person reads (the command line's output): `+` created, `~` changed
    /// (each field old → new), `=` unchanged, `·` kept.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            out.push_str(&format!("{}\n", s.section));
            for item in &s.items {
                let (mark, what) = match item.action {
                    ItemAction::Create => ('+', "new"),
                    ItemAction::Change => ('~', "changed"),
                    ItemAction::Unchanged => ('=', "unchanged"),
                    ItemAction::Kept => ('·', "kept: not in the document"),
                };
                out.push_str(&format!("  {mark} {} ({what})\n", item.key));
                if item.action == ItemAction::Change {
                    for (field, change) in item.changes.as_object().into_iter().flatten() {
                        out.push_str(&format!("      {field}: {} → {}\n", change["old"], change["new"]));
                    }
                }
            }
        }
        let t = self.totals;
        let verb = if self.applied { "imported" } else { "dry run, nothing changed" };
        out.push_str(&format!(
            "{} created, {} changed, {} unchanged, {} kept ({verb})\n",
            t.created, t.changed, t.unchanged, t.kept
        ));
        out
    }

    /// The items created or changed, by section (what an audit row keeps).
    pub fn changed_items(&self) -> Value {
        let mut out = serde_json::Map::new();
        for s in &self.sections {
            let items: Vec<&ItemReport> =
                s.items.iter().filter(|i| matches!(i.action, ItemAction::Create | ItemAction::Change)).collect();
            if !items.is_empty() {
                out.insert(s.section.clone(), json!(items));
            }
        }
        Value::Object(out)
    }
}

/// A bot of the document, checked.
pub(super) struct CheckedBot {
    pub item: BotItem,
    pub settings: Settings,
    pub token: Option<Token>,
    pub action: ItemAction,
}

pub(super) struct CheckedServer {
    pub item: ServerItem,
    pub guild_id: i64,
    pub change: ServerChange,
    pub action: ItemAction,
}

pub(super) struct CheckedProduct {
    pub product: NewProduct,
    pub action: ItemAction,
}

pub(super) struct CheckedChannel {
    pub item: ChannelItem,
    pub url: Option<CheckedUrl>,
    pub secret: Option<Secret>,
    pub action: ItemAction,
}

pub(super) struct CheckedRule {
    pub item: RuleItem,
    pub action: ItemAction,
}

pub(super) struct CheckedWindow {
    pub item: WindowItem,
    pub schedule: Schedule,
    pub action: ItemAction,
}

pub(super) struct CheckedSchedule {
    pub item: ScheduleItem,
    pub settings: schedule_model::Settings,
    /// The first instant to send (None: disabled, or a one-off whose time has passed).
    pub first: Option<i64>,
    pub action: ItemAction,
}

pub(super) struct CheckedWebhook {
    pub item: WebhookItem,
    /// As the webhooks' own checks left it; its bot filter holds stand-in ids (the import puts
    /// the named bots' ids in).
    pub checked: webhook_model::Checked,
    pub action: ItemAction,
}

/// A document checked against itself and the database, each item with what the import does.
#[derive(Default)]
pub(super) struct Plan {
    pub bots: Vec<CheckedBot>,
    pub servers: Vec<CheckedServer>,
    pub products: Vec<CheckedProduct>,
    pub channels: Vec<CheckedChannel>,
    pub rules: Vec<CheckedRule>,
    pub windows: Vec<CheckedWindow>,
    pub schedules: Vec<CheckedSchedule>,
    pub webhooks: Vec<CheckedWebhook>,
    pub settings: Option<(SettingsItem, ItemAction)>,
}

/// The database's secrets an import compares the document's with (opened only when the document
/// carries some).
#[derive(Default)]
pub(super) struct Secrets {
    /// Bot name → token.
    pub tokens: HashMap<String, Secret>,
    /// Channel name → (URL, signing secret).
    pub channels: HashMap<String, (Secret, Option<Secret>)>,
    /// Webhook name → (URL, signing secret).
    pub webhooks: HashMap<String, (Secret, Option<Secret>)>,
}

/// Field errors with their path in the document.
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, path: String, message: impl Into<String>) {
        self.0.push(FieldError::new(path, message));
    }

    /// A validator's result, its fields put under `path`, renamed by `rename` (a request's field
    /// name → the document's).
    fn take<T>(&mut self, path: &str, result: Result<T>, rename: &[(&str, &str)]) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(Error::Validation(fields)) => {
                for f in fields {
                    let mut field = f.field;
                    for (from, to) in rename {
                        if let Some(rest) = field.strip_prefix(from) {
                            field = format!("{to}{rest}");
                        }
                    }
                    self.push(format!("{path}.{field}"), f.message);
                }
                None
            }
            Err(e) => {
                self.push(path.to_owned(), e.to_string());
                None
            }
        }
    }
}

/// `changes` and the action for an item of the document against the database's.
fn compare<T: Serialize + PartialEq>(new: &T, old: Option<&T>) -> (ItemAction, Value) {
    match old {
        None => (ItemAction::Create, crate::audit::created(new, &[])),
        Some(old) if old == new => (ItemAction::Unchanged, json!({})),
        Some(old) => (ItemAction::Change, crate::audit::diff(old, new, &[])),
    }
}

/// Adds a secret's change to `changes` (never the secret: `shown` is a hint or `(changed)`).
fn secret_change(
    action: &mut ItemAction,
    changes: &mut Value,
    field: &str,
    old: Option<&Secret>,
    new: &Secret,
    shown: (String, String),
) {
    if old.is_some_and(|o| o == new) {
        return;
    }
    if *action == ItemAction::Unchanged {
        *action = ItemAction::Change;
    }
    changes[field] = json!({"old": shown.0, "new": shown.1});
}

fn kept<'a>(section: &mut SectionReport, current: impl Iterator<Item = &'a String>, named: &HashSet<String>) {
    for key in current {
        if !named.contains(key) {
            section.items.push(ItemReport { key: key.clone(), action: ItemAction::Kept, changes: json!({}) });
        }
    }
}

fn strings(ids: &[String]) -> Vec<Value> {
    ids.iter().map(|c| Value::String(c.clone())).collect()
}

fn channel_value(id: &Option<String>) -> Option<Value> {
    Some(id.clone().map_or(Value::Null, Value::String))
}

fn anti_spam_request(a: &AntiSpamConfig) -> AntiSpamRequest {
    AntiSpamRequest {
        enabled: Some(a.enabled),
        max_commands: Some(i64::from(a.max_commands)),
        per_seconds: Some(i64::from(a.per_seconds)),
        cooldown_seconds: Some(i64::from(a.cooldown_seconds)),
        max_cooldown_seconds: Some(i64::from(a.max_cooldown_seconds)),
    }
}

/// Checks the document's header: its format and version, and its secrets' key.
pub(super) fn open(doc: &Document, passphrase: Option<&Secret>) -> Result<Option<Sealer>> {
    let mut errors = Vec::new();
    if doc.format != FORMAT {
        errors.push(FieldError::new("format", format!("must be {FORMAT:?}: this is not a botfleet configuration")));
    }
    if doc.version != VERSION {
        errors.push(FieldError::new(
            "version",
            format!("this botfleet reads version {VERSION} documents; this one is version {}", doc.version),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    match (&doc.secrets, passphrase) {
        (Some(header), Some(p)) => Sealer::open_header(header, p).map(Some),
        (Some(_), None) => Err(Error::field(
            "passphrase",
            "this document carries encrypted secrets: give the passphrase it was exported with",
        )),
        (None, _) => Ok(None),
    }
}

/// Checks every section the document has against the rules of the API and against `current`
/// (the database as a document); the plan and the report, or every problem at once.
pub(super) fn plan(
    doc: &Document,
    sealer: Option<&Sealer>,
    current: &Document,
    secrets: &Secrets,
    now: i64,
) -> Result<(Plan, Vec<SectionReport>)> {
    let mut e = Errors(Vec::new());
    let mut plan = Plan::default();
    let mut report = Vec::new();
    let cur_bots = current.bots.as_deref().unwrap_or(&[]);

    // Names a reference may use: the document's and the database's.
    let mut bot_names: HashSet<String> = cur_bots.iter().map(|b| b.name.clone()).collect();
    bot_names.extend(doc.bots.iter().flatten().map(|b| b.name.trim().to_owned()));
    let mut channel_names: BTreeMap<String, i64> = BTreeMap::new();
    for name in current
        .alert_channels
        .iter()
        .flatten()
        .map(|c| &c.name)
        .chain(doc.alert_channels.iter().flatten().map(|c| &c.name))
    {
        let next = i64::try_from(channel_names.len()).unwrap_or(i64::MAX) + 1;
        channel_names.entry(name.clone()).or_insert(next);
    }
    let mut rule_names: HashSet<String> = current.alert_rules.iter().flatten().map(|r| r.name.clone()).collect();
    rule_names.extend(doc.alert_rules.iter().flatten().map(|r| r.name.clone()));

    let sealed = |e: &mut Errors, path: String, value: &Option<String>| -> Option<Secret> {
        let value = value.as_ref()?;
        match sealer {
            Some(s) => {
                let mut found = Vec::new();
                let opened = s.open_field(value, &path, &mut found);
                e.0.extend(found);
                opened
            }
            None => {
                e.push(path, "is sealed, but the document has no `secrets` header to open it with");
                None
            }
        }
    };

    if let Some(items) = &doc.bots {
        let mut section = SectionReport { section: "bots".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("bots[{i}]");
            let req = UpdateBot {
                version: 0,
                name: Some(item.name.clone()),
                prefix: Some(item.prefix.clone()),
                intents: Some(item.intents.clone()),
                channel_ids: Some(strings(&item.channel_ids)),
                anti_spam: Some(anti_spam_request(&item.anti_spam)),
                stock_channel_id: channel_value(&item.stock_channel_id),
                back_in_stock_channel_id: channel_value(&item.back_in_stock_channel_id),
                low_stock_channel_id: channel_value(&item.low_stock_channel_id),
                token: None,
            };
            let settings = e.take(&path, validate_update(&req), &[]);
            let anti_spam = settings
                .as_ref()
                .and_then(|s| e.take(&path, s.anti_spam.unwrap_or_default().apply(AntiSpamConfig::default()), &[]));
            let token = sealed(&mut e, format!("{path}.token"), &item.token).and_then(|raw| {
                let mut found = Vec::new();
                let token = check_token(raw.expose(), &format!("{path}.token"), &mut found);
                let ok = found.is_empty();
                e.0.extend(found);
                ok.then_some(token)
            });
            let (Some(settings), Some(anti_spam)) = (settings, anti_spam) else { continue };
            let name = settings.name.clone().unwrap_or_default();
            if !named.insert(name.clone()) {
                e.push(format!("{path}.name"), format!("another bot of the document is called {name:?}"));
                continue;
            }
            let canonical = BotItem {
                name: name.clone(),
                prefix: settings.prefix.clone().unwrap_or_default(),
                intents: intent_names(settings.intents.unwrap_or(0)),
                channel_ids: settings.channel_ids.iter().flatten().map(ToString::to_string).collect(),
                anti_spam,
                stock_channel_id: settings.stock_channel_id.flatten().map(|c| c.to_string()),
                back_in_stock_channel_id: settings.back_in_stock_channel_id.flatten().map(|c| c.to_string()),
                low_stock_channel_id: settings.low_stock_channel_id.flatten().map(|c| c.to_string()),
                token: None,
            };
            let old = cur_bots.iter().find(|b| b.name == name);
            if old.is_none() && token.is_none() {
                e.push(
                    format!("{path}.token"),
                    format!(
                        "there is no bot {name:?} here and the document has no token for it: export with a passphrase \
                         to carry tokens, or create the bot first (an import then sets its settings)"
                    ),
                );
            }
            let (mut action, mut changes) = compare(&canonical, old);
            if let Some(t) = &token {
                if old.is_some() {
                    let stored = secrets.tokens.get(&name);
                    let shown = (stored.map(token_hint).unwrap_or_default(), token_hint(&t.0));
                    secret_change(&mut action, &mut changes, "token", stored, &t.0, shown);
                }
            }
            section.items.push(ItemReport { key: name, action, changes });
            plan.bots.push(CheckedBot { item: canonical, settings, token, action });
        }
        kept(&mut section, cur_bots.iter().map(|b| &b.name), &named);
        report.push(section);
    }

    if let Some(items) = &doc.server_settings {
        let cur = current.server_settings.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "server_settings".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("server_settings[{i}]");
            if !bot_names.contains(&item.bot) {
                e.push(format!("{path}.bot"), format!("there is no bot {:?} in the document or here", item.bot));
            }
            let guild = parse_snowflake(&Value::String(item.guild_id.clone())).and_then(|g| i64::try_from(g).ok());
            if guild.is_none() {
                e.push(format!("{path}.guild_id"), "must be a Discord server id (17 to 19 digits)");
            }
            let req = PutServerSettings {
                version: 0,
                prefix: item.prefix.clone(),
                channel_ids: item.channel_ids.as_deref().map(strings),
                anti_spam: item.anti_spam.as_ref().map(anti_spam_request),
                stock_channel_id: item.stock_channel_id.clone().map(Value::String),
                back_in_stock_channel_id: item.back_in_stock_channel_id.clone().map(Value::String),
                low_stock_channel_id: item.low_stock_channel_id.clone().map(Value::String),
            };
            let change = e.take(&path, servers::validate(&req), &[]);
            let anti_spam = change
                .as_ref()
                .and_then(|c| c.anti_spam.map(|a| a.apply(AntiSpamConfig::default())))
                .and_then(|r| e.take(&path, r, &[]));
            let (Some(change), Some(guild_id)) = (change, guild) else { continue };
            let canonical = ServerItem {
                bot: item.bot.clone(),
                guild_id: guild_id.to_string(),
                prefix: change.prefix.clone(),
                channel_ids: change.channel_ids.as_ref().map(|c| c.iter().map(ToString::to_string).collect()),
                anti_spam,
                stock_channel_id: change.stock.stock.map(|c| c.to_string()),
                back_in_stock_channel_id: change.stock.back_in_stock.map(|c| c.to_string()),
                low_stock_channel_id: change.stock.low_stock.map(|c| c.to_string()),
            };
            let key = format!("{} / {}", canonical.bot, canonical.guild_id);
            if !named.insert(key.clone()) {
                e.push(format!("{path}.guild_id"), format!("the document sets {key} twice"));
                continue;
            }
            let old = cur.iter().find(|s| s.bot == canonical.bot && s.guild_id == canonical.guild_id);
            let (action, changes) = compare(&canonical, old);
            section.items.push(ItemReport { key, action, changes });
            plan.servers.push(CheckedServer { item: canonical, guild_id, change, action });
        }
        let current_keys: Vec<String> = cur.iter().map(|s| format!("{} / {}", s.bot, s.guild_id)).collect();
        kept(&mut section, current_keys.iter(), &named);
        report.push(section);
    }

    if let Some(items) = &doc.products {
        let cur = current.products.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "products".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("products[{i}]");
            let new = NewProduct {
                sku: item.sku.clone(),
                name: item.name.clone(),
                description: item.description.clone(),
                price_minor: item.price_minor,
                currency: item.currency.clone(),
                stock: item.stock,
                low_stock_threshold: Some(item.low_stock_threshold),
                visible: Some(item.visible),
                sort_order: item.sort_order,
            };
            let Some(product) = e.take(&path, validate_new(&new), &[]) else { continue };
            if !named.insert(product.sku.to_lowercase()) {
                e.push(format!("{path}.sku"), format!("the document lists {:?} twice", product.sku));
                continue;
            }
            let old = cur.iter().find(|p| p.sku.eq_ignore_ascii_case(&product.sku));
            // SKUs are unique whatever their case: a match keeps the stored spelling.
            let mut product = product;
            if let Some(old) = old {
                product.sku = old.sku.clone();
            }
            let canonical = ProductItem {
                sku: product.sku.clone(),
                name: product.name.clone(),
                description: product.description.clone(),
                price_minor: product.price_minor,
                currency: product.currency.clone(),
                stock: product.stock,
                low_stock_threshold: product.low_stock_threshold.unwrap_or(5),
                visible: product.visible.unwrap_or(true),
                sort_order: product.sort_order,
            };
            let (action, changes) = compare(&canonical, old);
            section.items.push(ItemReport { key: canonical.sku.clone(), action, changes });
            plan.products.push(CheckedProduct { product, action });
        }
        let lower: Vec<(String, String)> = cur.iter().map(|p| (p.sku.to_lowercase(), p.sku.clone())).collect();
        for (key, sku) in &lower {
            if !named.contains(key) {
                section.items.push(ItemReport { key: sku.clone(), action: ItemAction::Kept, changes: json!({}) });
            }
        }
        report.push(section);
    }

    if let Some(items) = &doc.alert_channels {
        let cur = current.alert_channels.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "alert_channels".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("alert_channels[{i}]");
            let url = sealed(&mut e, format!("{path}.url"), &item.url);
            let secret = sealed(&mut e, format!("{path}.secret"), &item.secret);
            let checked = e.take(
                &path,
                check_channel(
                    item.kind,
                    Some(&item.name),
                    url.as_ref().map(Secret::expose),
                    secret.as_ref().map(Secret::expose),
                ),
                &[],
            );
            let Some(checked) = checked else { continue };
            if !named.insert(item.name.clone()) {
                e.push(format!("{path}.name"), format!("another channel of the document is called {:?}", item.name));
                continue;
            }
            let canonical = ChannelItem { name: item.name.clone(), kind: item.kind, url: None, secret: None };
            let old = cur.iter().find(|c| c.name == item.name);
            if old.is_none() && checked.is_none() {
                e.push(
                    format!("{path}.url"),
                    format!(
                        "there is no channel {:?} here and the document has no URL for it: export with a passphrase \
                         to carry channel URLs, or create the channel first",
                        item.name
                    ),
                );
            }
            if old.is_some_and(|o| o.kind != item.kind) {
                e.push(format!("{path}.kind"), "an existing channel's kind cannot change: give it another name");
            }
            let (mut action, mut changes) = compare(&canonical, old);
            if let (Some(_), Some(u)) = (old, &checked) {
                let stored = secrets.channels.get(&item.name);
                let new_url = Secret::new(u.url.clone());
                secret_change(
                    &mut action,
                    &mut changes,
                    "url",
                    stored.map(|s| &s.0),
                    &new_url,
                    ("(stored)".into(), u.hint.clone()),
                );
                let stored_secret = stored.and_then(|s| s.1.as_ref());
                if stored_secret != secret.as_ref() {
                    if action == ItemAction::Unchanged {
                        action = ItemAction::Change;
                    }
                    changes["secret"] =
                        json!({"old": stored_secret.map(|_| "(set)"), "new": secret.as_ref().map(|_| "(set)")});
                }
            }
            section.items.push(ItemReport { key: item.name.clone(), action, changes });
            plan.channels.push(CheckedChannel { item: canonical, url: checked, secret, action });
        }
        kept(&mut section, cur.iter().map(|c| &c.name), &named);
        report.push(section);
    }

    if let Some(items) = &doc.alert_rules {
        let cur = current.alert_rules.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "alert_rules".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("alert_rules[{i}]");
            if let Some(bot) = &item.bot {
                if !bot_names.contains(bot) {
                    e.push(format!("{path}.bot"), format!("there is no bot {bot:?} in the document or here"));
                }
            }
            let mut channel_ids = Vec::new();
            for (j, name) in item.channels.iter().enumerate() {
                match channel_names.get(name) {
                    Some(id) => channel_ids.push(*id),
                    None => e.push(
                        format!("{path}.channels[{j}]"),
                        format!("there is no channel {name:?} in the document or here"),
                    ),
                }
            }
            // Stand-in ids: the rule's own checks need only whether a bot is named and which
            // channels repeat; the import resolves the names.
            let input = RuleInput {
                name: item.name.clone(),
                condition: item.condition.clone(),
                bot_id: item.bot.as_ref().map(|_| 0),
                failures_in_a_row: item.failures_in_a_row,
                resend_every_seconds: item.resend_every_seconds,
                notify_recovery: item.notify_recovery,
                channel_ids,
                enabled: item.enabled,
            };
            if e.take(&path, input.validate(), &[("bot_id", "bot"), ("channel_ids", "channels")]).is_none() {
                continue;
            }
            if !named.insert(item.name.clone()) {
                e.push(format!("{path}.name"), format!("another rule of the document is called {:?}", item.name));
                continue;
            }
            let old = cur.iter().find(|r| r.name == item.name);
            let (action, changes) = compare(item, old);
            section.items.push(ItemReport { key: item.name.clone(), action, changes });
            plan.rules.push(CheckedRule { item: item.clone(), action });
        }
        kept(&mut section, cur.iter().map(|r| &r.name), &named);
        report.push(section);
    }

    if let Some(items) = &doc.maintenance_windows {
        let cur = current.maintenance_windows.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "maintenance_windows".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("maintenance_windows[{i}]");
            if let Some(bot) = &item.bot {
                if !bot_names.contains(bot) {
                    e.push(format!("{path}.bot"), format!("there is no bot {bot:?} in the document or here"));
                }
            }
            if let Some(rule) = &item.rule {
                if !rule_names.contains(rule) {
                    e.push(format!("{path}.rule"), format!("there is no rule {rule:?} in the document or here"));
                }
            }
            let input = MaintenanceInput {
                name: item.name.clone(),
                rule_id: None,
                bot_id: None,
                once: item.once.clone(),
                weekly: item.weekly.clone(),
            };
            let Some(schedule) = e.take(&path, input.validate(), &[]) else { continue };
            if !named.insert(item.name.clone()) {
                e.push(format!("{path}.name"), format!("another window of the document is called {:?}", item.name));
                continue;
            }
            let (once, weekly) = schedule.shown();
            let canonical =
                WindowItem { name: item.name.clone(), rule: item.rule.clone(), bot: item.bot.clone(), once, weekly };
            let old = cur.iter().find(|w| w.name == item.name);
            let (action, changes) = compare(&canonical, old);
            section.items.push(ItemReport { key: item.name.clone(), action, changes });
            plan.windows.push(CheckedWindow { item: canonical, schedule, action });
        }
        let mut seen = HashSet::new();
        let names: Vec<&String> = cur.iter().map(|w| &w.name).filter(|n| seen.insert(*n)).collect();
        kept(&mut section, names.into_iter(), &named);
        report.push(section);
    }

    if let Some(items) = &doc.schedules {
        let cur = current.schedules.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "schedules".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("schedules[{i}]");
            if !bot_names.contains(&item.bot) {
                e.push(format!("{path}.bot"), format!("there is no bot {:?} in the document or here", item.bot));
            }
            let input = ScheduleInput {
                bot_id: 0,
                channel_id: Value::String(item.channel_id.clone()),
                message: item.message.clone(),
                once: item.once.clone(),
                cron: item.cron.clone(),
                time_zone: Some(item.time_zone.clone()),
                enabled: item.enabled,
                missed: item.missed,
            };
            // A one-off whose time has passed (it ran where the document comes from) is taken as
            // done: checked as if off, kept as it is, never sent.
            let checked = schedule_model::check(&input, now).or_else(|errors| match &input.once {
                Some(_) if input.enabled => {
                    schedule_model::check(&ScheduleInput { enabled: false, ..input.clone() }, now)
                        .map(|(s, _)| (schedule_model::Settings { enabled: true, ..s }, None))
                        .map_err(|_| errors)
                }
                _ => Err(errors),
            });
            let Some((settings, first)) = e.take(&path, checked.map_err(Error::Validation), &[("bot_id", "bot")])
            else {
                continue;
            };
            let canonical = schedule_item(&item.bot, &settings);
            let key = schedule_key(&canonical);
            if !named.insert(key.clone()) {
                e.push(path, "the document lists this schedule twice");
                continue;
            }
            let old = cur.iter().find(|s| schedule_key(s) == key);
            let (action, changes) = compare(&canonical, old);
            section.items.push(ItemReport { key: schedule_summary(&canonical), action, changes });
            plan.schedules.push(CheckedSchedule { item: canonical, settings, first, action });
        }
        for s in cur {
            if !named.contains(&schedule_key(s)) {
                section.items.push(ItemReport {
                    key: schedule_summary(s),
                    action: ItemAction::Kept,
                    changes: json!({}),
                });
            }
        }
        report.push(section);
    }

    if let Some(items) = &doc.webhooks {
        let cur = current.webhooks.as_deref().unwrap_or(&[]);
        let mut section = SectionReport { section: "webhooks".into(), items: Vec::new() };
        let mut named = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let path = format!("webhooks[{i}]");
            let url = sealed(&mut e, format!("{path}.url"), &item.url);
            let secret = sealed(&mut e, format!("{path}.secret"), &item.secret);
            for (j, bot) in item.filters.bots.iter().flatten().enumerate() {
                if !bot_names.contains(bot) {
                    e.push(
                        format!("{path}.filters.bots[{j}]"),
                        format!("there is no bot {bot:?} in the document or here"),
                    );
                }
            }
            // Stand-in ids: the webhook's own checks need only how many bots the filter names;
            // the import resolves the names.
            let filters = Filters {
                bot_ids: item.filters.bots.as_ref().map(|b| (1..=i64::try_from(b.len()).unwrap_or(i64::MAX)).collect()),
                commands: item.filters.commands.clone(),
                outcomes: item.filters.outcomes.clone(),
            };
            let old = cur.iter().find(|w| w.name == item.name);
            let rename = [("filters.bot_ids", "filters.bots")];
            let secret_text = secret.as_ref().map(|s| s.expose().to_owned());
            // A new webhook is checked as `POST /webhooks` checks it (a URL, and an HTTP one's
            // secret, required); one that exists as `PUT /webhooks/{id}` (URL and secret kept
            // when left out).
            let checked = match (old, &url) {
                (None, Some(u)) => {
                    let req = CreateWebhook {
                        name: item.name.clone(),
                        kind: item.kind,
                        url: u.expose().to_owned(),
                        secret: secret_text,
                        events: item.events.clone(),
                        filters,
                    };
                    e.take(&path, webhook_model::check_create(&req), &rename)
                }
                (old, _) => {
                    if old.is_none() && item.url.is_none() {
                        e.push(
                            format!("{path}.url"),
                            format!(
                                "there is no webhook {:?} here and the document has no URL for it: export with a \
                                 passphrase to carry webhook URLs and secrets, or create the webhook first",
                                item.name
                            ),
                        );
                    }
                    let req = UpdateWebhook {
                        version: 0,
                        name: item.name.clone(),
                        url: url.as_ref().map(|u| u.expose().to_owned()),
                        secret: secret_text,
                        events: item.events.clone(),
                        filters,
                    };
                    e.take(&path, webhook_model::check_update(item.kind, &req), &rename)
                }
            };
            if old.is_some_and(|o| o.kind != item.kind) {
                e.push(format!("{path}.kind"), "an existing webhook's kind cannot change: give it another name");
            }
            let Some(checked) = checked else { continue };
            if !named.insert(item.name.clone()) {
                e.push(format!("{path}.name"), format!("another webhook of the document is called {:?}", item.name));
                continue;
            }
            let mut bots = item.filters.bots.clone();
            if let Some(names) = &mut bots {
                names.sort();
                names.dedup();
            }
            let canonical = WebhookItem {
                name: item.name.clone(),
                kind: item.kind,
                url: None,
                secret: None,
                events: checked.events.clone(),
                filters: WebhookFilterItem {
                    bots,
                    commands: checked.filters.commands.clone(),
                    outcomes: checked.filters.outcomes.clone(),
                },
            };
            let (mut action, mut changes) = compare(&canonical, old);
            if old.is_some() {
                let stored = secrets.webhooks.get(&item.name);
                if let Some(u) = &checked.url {
                    let new_url = Secret::new(u.url.clone());
                    let shown = ("(stored)".into(), u.hint.clone());
                    secret_change(&mut action, &mut changes, "url", stored.map(|s| &s.0), &new_url, shown);
                }
                // Left out, the stored secret is kept (as `PUT /webhooks/{id}` keeps it).
                let stored_secret = stored.and_then(|s| s.1.as_ref());
                if secret.is_some() && stored_secret != secret.as_ref() {
                    if action == ItemAction::Unchanged {
                        action = ItemAction::Change;
                    }
                    changes["secret"] = json!({"old": stored_secret.map(|_| "(set)"), "new": "(set)"});
                }
            }
            section.items.push(ItemReport { key: item.name.clone(), action, changes });
            plan.webhooks.push(CheckedWebhook { item: canonical, checked, action });
        }
        kept(&mut section, cur.iter().map(|w| &w.name), &named);
        report.push(section);
    }

    if let Some(item) = &doc.settings {
        let mut section = SectionReport { section: "settings".into(), items: Vec::new() };
        if let Some(r) = &item.retention {
            e.take("settings.retention", r.validate(), &[]);
        }
        let old = current.settings.clone().unwrap_or_default();
        // A sub-section left out stays as it is.
        let new = SettingsItem {
            security: item.security.clone().or_else(|| old.security.clone()),
            retention: item.retention.clone().or_else(|| old.retention.clone()),
        };
        for (key, (action, changes)) in [
            ("security", compare(&new.security, Some(&old.security))),
            ("retention", compare(&new.retention, Some(&old.retention))),
        ] {
            section.items.push(ItemReport { key: key.into(), action, changes });
        }
        let action = if new == old { ItemAction::Unchanged } else { ItemAction::Change };
        plan.settings = Some((new, action));
        report.push(section);
    }

    if e.0.is_empty() {
        Ok((plan, report))
    } else {
        Err(Error::Validation(e.0))
    }
}

/// A schedule in words: its bot, channel, timing and the start of its message.
fn schedule_summary(s: &ScheduleItem) -> String {
    let when = match (&s.cron, &s.once) {
        (Some(cron), _) => format!("cron {cron:?} {}", s.time_zone),
        (None, Some(once)) => format!("once {once}"),
        (None, None) => "never".into(),
    };
    let text: String = s.message.content.chars().take(40).collect();
    format!("{} → {} · {when} · {text:?}", s.bot, s.channel_id)
}
