//! Moving a whole configuration between installations: one JSON document (`botfleet-config`,
//! version 1) with bots, per-server settings, products, alert channels, rules and maintenance
//! windows, schedules, webhooks and settings. Secrets (bot tokens, alert channels' and webhooks'
//! URLs and signing secrets) are left out, or sealed under a passphrase. An import checks the
//! document with each domain's own rules, compares it with the database item by natural key, and
//! writes it all in one transaction (a dry run does the same and rolls back), never deleting what
//! the document does not name.
//!
//! - `document`: the format; `seal`: the passphrase's key; `snapshot`: the database as a
//!   document (the export, and what an import compares with); `plan`: checks and the diff;
//!   `apply`: the writes.

pub mod apply;
pub mod document;
pub mod plan;
pub mod seal;
pub mod snapshot;

use std::collections::HashMap;

pub use apply::Applied;
pub use document::{Document, FORMAT, VERSION};
pub use plan::{ItemAction, ItemReport, Report, SectionReport, Totals};

use crate::error::{Error, Result};
use crate::secrets::{Secret, TokenCipher};
use crate::store::Store;
use seal::Sealer;

/// Runs argon2id off the async workers (tens of milliseconds of CPU).
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Config(format!("deriving the passphrase's key: {e}")))?
}

/// The whole configuration, read in one transaction; with `passphrase`, its secrets sealed under it.
pub async fn export(store: &Store, cipher: &TokenCipher, passphrase: Option<&Secret>, now: i64) -> Result<Document> {
    let sealer = match passphrase.cloned() {
        Some(p) => Some(blocking(move || Sealer::create(&p)).await?),
        None => None,
    };
    let mut tx = store.begin_snapshot().await?;
    let (mut document, _) = snapshot::read(&mut tx, cipher, sealer.as_ref().map(|(s, _)| s), now).await?;
    tx.rollback().await?;
    document.secrets = sealer.map(|(_, header)| header);
    Ok(document)
}

/// Imports `doc`: checks it whole (every problem reported, with its path in the document), then
/// writes every change in one transaction — or, with `dry_run`, writes them and rolls back, so a
/// dry run finds what the import would. What the database has and the document does not name is
/// kept. `by` is who made new schedules.
pub async fn import(
    store: &Store,
    cipher: &TokenCipher,
    doc: &Document,
    passphrase: Option<&Secret>,
    dry_run: bool,
    by: &str,
    now: i64,
) -> Result<(Report, Applied)> {
    let sealer = match (&doc.secrets, passphrase) {
        (Some(_), Some(_)) => {
            let (header_doc, pass) = (doc.clone(), passphrase.cloned());
            blocking(move || plan::open(&header_doc, pass.as_ref())).await?
        }
        _ => plan::open(doc, passphrase)?,
    };
    let mut tx = store.begin_write().await?;
    let (current, ids) = snapshot::read(&mut tx, cipher, None, now).await?;
    let mut secrets = plan::Secrets::default();
    if doc.secrets.is_some() {
        let named: Vec<&String> = doc.bots.iter().flatten().filter(|b| b.token.is_some()).map(|b| &b.name).collect();
        for (name, id) in ids.bots.iter().filter(|(name, _)| named.contains(name)) {
            secrets.tokens.insert(name.clone(), crate::bots::repo::token_in(&mut tx, cipher, *id).await?);
        }
        let channels: HashMap<String, (Secret, Option<Secret>)> = crate::alerts::repo::destinations_in(&mut tx, cipher)
            .await?
            .into_iter()
            .map(|d| (d.name, (d.url, d.secret)))
            .collect();
        secrets.channels = channels;
        secrets.webhooks = crate::webhooks::repo::targets_in(&mut tx, cipher)
            .await?
            .into_iter()
            .map(|(name, t)| (name, (t.url, t.secret)))
            .collect();
    }
    let (plan, sections) = plan::plan(doc, sealer.as_ref(), &current, &secrets, now)?;
    let applied = apply::apply(&mut tx, cipher, &plan, &ids, by, now).await?;
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    let mut report = Report { dry_run, applied: !dry_run, totals: Totals::default(), sections };
    report.count();
    Ok((report, if dry_run { Applied::default() } else { applied }))
}
