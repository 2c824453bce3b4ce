//! The `stock_messages` table: which messages a bot has posted to show the catalogue in each of its
//! stock channels (in order) and a hash of what each shows, so a restart edits the same messages,
//! and only when what they show changed.

use sqlx::Row;

use crate::error::Result;
use crate::store::Store;

/// One posted stock message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// 0 for the first message of the catalogue.
    pub position: usize,
    pub channel_id: u64,
    pub message_id: u64,
    pub content_hash: String,
}

fn id(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn stored(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A bot's stock messages, by channel, first first.
pub async fn load(store: &Store, bot_id: i64) -> Result<Vec<Posted>> {
    let rows = sqlx::query(
        "SELECT position, channel_id, message_id, content_hash FROM stock_messages WHERE bot_id = $1 ORDER BY channel_id, position",
    )
    .bind(bot_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Posted {
                position: usize::try_from(r.try_get::<i64, _>("position")?).unwrap_or(0),
                channel_id: id(r.try_get("channel_id")?),
                message_id: id(r.try_get("message_id")?),
                content_hash: r.try_get("content_hash")?,
            })
        })
        .collect()
}

/// Records (or replaces) the message at a position of its channel.
pub async fn save(store: &Store, bot_id: i64, posted: &Posted, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO stock_messages (bot_id, position, channel_id, message_id, content_hash, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bot_id, channel_id, position) DO UPDATE SET \
         message_id = excluded.message_id, content_hash = excluded.content_hash, \
         updated_at = excluded.updated_at",
    )
    .bind(bot_id)
    .bind(i64::try_from(posted.position).unwrap_or(i64::MAX))
    .bind(stored(posted.channel_id))
    .bind(stored(posted.message_id))
    .bind(posted.content_hash.clone())
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Forgets the messages of a channel at `position` and after.
pub async fn forget_from(store: &Store, bot_id: i64, channel_id: u64, position: usize) -> Result<()> {
    sqlx::query("DELETE FROM stock_messages WHERE bot_id = $1 AND channel_id = $2 AND position >= $3")
        .bind(bot_id)
        .bind(stored(channel_id))
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(store.pool())
        .await?;
    Ok(())
}
