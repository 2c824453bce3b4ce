//! Low-stock notices: the `low_stock_notices` table. A product "crosses" when a stock change
//! takes its stock from above its `low_stock_threshold` to at or below it (`repo` marks this in
//! `products.low_stock_crossed_version`, in the same statement as the stock). In the same
//! transaction, [`record`] writes one notice per (bot, low-stock channel) — the bot's own and each
//! of its servers' (`server_settings`) — keyed by (bot, channel, product, crossing), so the "to
//! notify" state is durable and shared by every node.
//!
//! The bot's stock task then sends each notice once: it marks it `sending` before the first try,
//! sends it with the nonce [`nonce`] and `enforce_nonce` (Discord returns the first message for a
//! repeated nonce within a few minutes, so a retry or a restart posts nothing new), and marks it
//! `sent`. A notice still `sending` after [`NONCE_WINDOW`] may have been posted without Discord
//! remembering its nonce any more: it becomes `unknown` and is not sent again.

use std::time::Duration;

use sqlx::{AnyConnection, Row};

use super::display;
use super::model::Product;
use crate::error::Result;
use crate::store::Store;

/// How long after its first try a notice may still be sent again with the same nonce. Discord
/// remembers nonces for "a few minutes"; two stays well inside that.
pub const NONCE_WINDOW: Duration = Duration::from_secs(120);

/// A notice waiting to be sent (or whose send is not known to have finished).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    /// The channel it is for (0: recorded before notices had one, for a bot with no low-stock
    /// channel then).
    pub channel_id: u64,
    pub product_id: i64,
    /// The product's version when it crossed.
    pub crossing: i64,
    pub content: String,
    /// `pending` (never tried) or `sending` (tried, outcome not recorded).
    pub state: String,
    /// When it was first tried (ms).
    pub attempted_at: Option<i64>,
}

/// The nonce a notice is sent with (Discord compares nonces per author, i.e. per bot; reply
/// nonces are bare message ids, so the prefix keeps the two apart). At most 25 characters.
pub fn nonce(notice_id: i64) -> String {
    format!("low{notice_id}")
}

/// What the notice says about `product` (its name escaped: it is the shop's text).
pub fn content(product: &Product) -> String {
    let hidden = if product.visible { "" } else { " (hidden)" };
    format!(
        "Low stock: **{}** (`{}`){hidden}: {} left (threshold {})",
        display::escape(&product.name),
        product.sku,
        product.stock,
        product.low_stock_threshold
    )
}

/// Records a crossing of `product` (at its current version) for every low-stock channel of every
/// bot now: the bot's own and its servers'. (A bot's own channel in a server that has one of its
/// own is recorded too, and skipped by the bot's stock task, which knows the channel's server.)
/// Run inside the transaction that changed the stock; recording it twice is a no-op.
pub async fn record(conn: &mut AnyConnection, product: &Product, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO low_stock_notices (bot_id, channel_id, product_id, crossing, content, state, created_at, \
         updated_at) \
         SELECT t.bot_id, t.channel_id, $1, $2, $3, 'pending', $4, $4 FROM ( \
             SELECT id AS bot_id, low_stock_channel_id AS channel_id FROM bots WHERE low_stock_channel_id IS NOT NULL \
             UNION SELECT bot_id, low_stock_channel_id FROM server_settings WHERE low_stock_channel_id IS NOT NULL \
         ) t WHERE true \
         ON CONFLICT (bot_id, channel_id, product_id, crossing) DO NOTHING",
    )
    .bind(product.id)
    .bind(product.version)
    .bind(content(product))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A bot's notices to send, oldest first.
pub async fn open(store: &Store, bot_id: i64) -> Result<Vec<Notice>> {
    let rows = sqlx::query(
        "SELECT id, channel_id, product_id, crossing, content, state, attempted_at FROM low_stock_notices \
         WHERE bot_id = $1 AND state IN ('pending', 'sending') ORDER BY id",
    )
    .bind(bot_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Notice {
                id: r.try_get("id")?,
                channel_id: u64::try_from(r.try_get::<i64, _>("channel_id")?).unwrap_or(0),
                product_id: r.try_get("product_id")?,
                crossing: r.try_get("crossing")?,
                content: r.try_get("content")?,
                state: r.try_get("state")?,
                attempted_at: r.try_get("attempted_at")?,
            })
        })
        .collect()
}

/// Whether a bot has notices to send.
pub async fn any_open(store: &Store, bot_id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM low_stock_notices WHERE bot_id = $1 AND state IN ('pending', 'sending') LIMIT 1",
    )
    .bind(bot_id)
    .fetch_optional(store.pool())
    .await?;
    Ok(found.is_some())
}

/// Whether `channel_id` is a low-stock channel of the bot in the database now (its own or one of
/// its servers').
pub async fn is_channel_of(store: &Store, bot_id: i64, channel_id: u64) -> Result<bool> {
    let channel = i64::try_from(channel_id).unwrap_or(-1);
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM bots WHERE id = $1 AND low_stock_channel_id = $2 \
         UNION ALL SELECT bot_id FROM server_settings WHERE bot_id = $1 AND low_stock_channel_id = $2 LIMIT 1",
    )
    .bind(bot_id)
    .bind(channel)
    .fetch_optional(store.pool())
    .await?;
    Ok(found.is_some())
}

/// Whether the product is still low since this crossing (not deleted, not risen above its
/// threshold, not crossed again since).
pub async fn still_low(store: &Store, notice: &Notice) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM products WHERE id = $1 AND low_stock_crossed_version = $2 AND stock <= low_stock_threshold",
    )
    .bind(notice.product_id)
    .bind(notice.crossing)
    .fetch_optional(store.pool())
    .await?;
    Ok(found.is_some())
}

/// Marks a notice as being sent (keeping the time of its first try).
pub async fn sending(store: &Store, id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE low_stock_notices SET state = 'sending', attempted_at = COALESCE(attempted_at, $2), updated_at = $2 \
         WHERE id = $1 AND state IN ('pending', 'sending')",
    )
    .bind(id)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// How a notice ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Posted (the message id when Discord's answer could be read).
    Sent(Option<u64>),
    /// Not sent: the product is no longer low, or crossed again since.
    Skipped,
    /// Discord refused it (the detail says why).
    Failed,
    /// Still "sending" after [`NONCE_WINDOW`]: it may have been posted; not sent again.
    Unknown,
}

/// Records how a notice ended.
pub async fn finish(store: &Store, id: i64, outcome: Outcome, detail: Option<&str>, now: i64) -> Result<()> {
    let (state, message_id) = match outcome {
        Outcome::Sent(message) => ("sent", message.and_then(|m| i64::try_from(m).ok())),
        Outcome::Skipped => ("skipped", None),
        Outcome::Failed => ("failed", None),
        Outcome::Unknown => ("unknown", None),
    };
    sqlx::query(
        "UPDATE low_stock_notices SET state = $2, message_id = $3, detail = $4, updated_at = $5 \
         WHERE id = $1 AND state IN ('pending', 'sending')",
    )
    .bind(id)
    .bind(state)
    .bind(message_id)
    .bind(detail.map(str::to_owned))
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_fits_discord_and_differs_from_reply_nonces() {
        let longest = nonce(i64::MAX);
        assert!(longest.len() <= 25, "{longest}");
        assert!(!nonce(7).chars().all(|c| c.is_ascii_digit()));
    }
}
