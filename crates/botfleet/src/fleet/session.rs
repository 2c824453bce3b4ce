//! Saved gateway sessions: each running bot's session (id, resume URL, and the sequence of the last
//! event it finished with) is kept in memory as it runs and written to `gateway_sessions` every few
//! seconds and at shutdown, so the next start — a restart, an upgrade, after a crash — resumes it
//! and Discord replays what users sent meanwhile instead of it being lost. A session is only
//! resumed by a bot started with the same token and intents (the fingerprint): settings that change
//! those must take effect, so such a bot identifies afresh.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::error::Result;
use crate::store::Store;

/// One shard's session as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSession {
    pub bot_id: i64,
    pub shard: u32,
    pub session_id: String,
    /// The last event whose handling finished (and whose record is stored): a resume replays
    /// every event after it.
    pub sequence: u64,
    pub resume_url: String,
    /// [`fingerprint`] of the token and intents the session was opened with.
    pub fingerprint: String,
    /// When it was last noted (ms since the epoch).
    pub saved_at: i64,
}

/// A digest of what a session is bound to: the token and the intents. Not the token: a SHA-256
/// of it, which cannot be turned back into it.
pub fn fingerprint(token: &str, intents: u64) -> String {
    let digest = Sha256::new().chain_update(token.as_bytes()).chain_update(b"\0").chain_update(intents.to_string());
    digest.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Every bot's latest session, and which of them the database does not have yet.
#[derive(Debug, Default)]
pub struct SessionBook {
    // A std Mutex: held for map operations only, never across an await.
    inner: Mutex<Book>,
    /// Wakes the saver when a new session is noted: until it is saved, a kill -9 would lose it.
    new_session: tokio::sync::Notify,
    /// With several nodes: this node's id. A session is then written only for a bot whose lease
    /// this node holds, so a node that lost a bot (cut off, paused) never overwrites the session
    /// its new holder saves.
    fence: std::sync::OnceLock<String>,
}

#[derive(Debug, Default)]
struct Book {
    sessions: HashMap<(i64, u32), SavedSession>,
    /// Noted since the last save.
    dirty: HashSet<(i64, u32)>,
    /// Bots whose saved sessions must be deleted at the next save.
    forgotten: HashSet<i64>,
}

impl SessionBook {
    fn book(&self) -> MutexGuard<'_, Book> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the sessions saved by an earlier run (at start, before any bot runs).
    pub fn fill(&self, saved: Vec<SavedSession>) {
        let mut book = self.book();
        for s in saved {
            book.sessions.entry((s.bot_id, s.shard)).or_insert(s);
        }
    }

    /// Takes the sessions of a bot's `shards` as saved by the node that ran them before this one
    /// (shards taken over): they replace what this node knew of them. The bot's other shards
    /// (running here, or elsewhere) are left as they are.
    pub fn take_over(&self, bot_id: i64, shards: &[u32], saved: Vec<SavedSession>) {
        let mut book = self.book();
        book.sessions.retain(|(b, s), _| *b != bot_id || !shards.contains(s));
        book.dirty.retain(|(b, s)| *b != bot_id || !shards.contains(s));
        book.forgotten.remove(&bot_id);
        for s in saved.into_iter().filter(|s| s.bot_id == bot_id && shards.contains(&s.shard)) {
            book.sessions.insert((s.bot_id, s.shard), s);
        }
    }

    /// Writes sessions only for bots whose lease `node` holds (several nodes; see the field).
    pub fn fence_with(&self, node: String) {
        let _ = self.fence.set(node);
    }

    /// A bot's session for a shard, if one is known.
    pub fn get(&self, bot_id: i64, shard: u32) -> Option<SavedSession> {
        self.book().sessions.get(&(bot_id, shard)).cloned()
    }

    /// Notes where a session stands (saved at the next [`SessionBook::save`]). Only a change of
    /// session or sequence makes it dirty: an idle bot costs no write.
    pub fn note(&self, session: SavedSession) {
        let mut book = self.book();
        let key = (session.bot_id, session.shard);
        let known = book.sessions.get(&key);
        let new = known.is_none_or(|s| s.session_id != session.session_id);
        let same = known.is_some_and(|s| s.session_id == session.session_id && s.sequence == session.sequence);
        if new {
            self.new_session.notify_one();
        }
        if !same {
            book.forgotten.remove(&session.bot_id);
            book.sessions.insert(key, session);
            book.dirty.insert(key);
        }
    }

    /// Moves a bot's session past `sequence` (never back): the event there is not to be replayed.
    pub fn skip_past(&self, bot_id: i64, shard: u32, sequence: u64) {
        let mut book = self.book();
        let key = (bot_id, shard);
        if let Some(s) = book.sessions.get_mut(&key) {
            if s.sequence < sequence {
                s.sequence = sequence;
                book.dirty.insert(key);
            }
        }
    }

    /// Forgets a bot's sessions (stopped on purpose, deleted, or refused for good): the next start
    /// identifies.
    pub fn forget(&self, bot_id: i64) {
        let mut book = self.book();
        book.sessions.retain(|(b, _), _| *b != bot_id);
        book.dirty.retain(|(b, _)| *b != bot_id);
        book.forgotten.insert(bot_id);
    }

    /// Waits until a new session is noted.
    pub async fn new_session_noted(&self) {
        self.new_session.notified().await;
    }

    /// Sessions known in memory (for the saver's figures and tests).
    pub fn len(&self) -> usize {
        self.book().sessions.len()
    }

    /// Whether no session is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes what changed since the last save in one transaction; on failure it stays to be
    /// written next time. The number of sessions written.
    pub async fn save(&self, store: &Store) -> Result<usize> {
        let (rows, forgotten) = {
            let mut book = self.book();
            let dirty = std::mem::take(&mut book.dirty);
            let rows: Vec<SavedSession> = dirty.iter().filter_map(|k| book.sessions.get(k).cloned()).collect();
            (rows, std::mem::take(&mut book.forgotten))
        };
        if rows.is_empty() && forgotten.is_empty() {
            return Ok(0);
        }
        match write(store, &rows, &forgotten, self.fence.get().map(String::as_str)).await {
            Ok(()) => Ok(rows.len()),
            Err(e) => {
                let mut book = self.book();
                for s in &rows {
                    book.dirty.insert((s.bot_id, s.shard));
                }
                // A bot noted again after it was forgotten is no longer forgotten.
                let noted: HashSet<i64> = book.sessions.keys().map(|(b, _)| *b).collect();
                book.forgotten.extend(forgotten.into_iter().filter(|b| !noted.contains(b)));
                Err(e)
            }
        }
    }
}

/// Where a bot's session stood at recent moments, each waiting until the tracking records made
/// before it are durable: a session saved any sooner could, after a kill -9, resume past commands
/// whose records were still in memory — answered, but never tracked.
#[derive(Debug, Default)]
pub struct Settling {
    /// (where the session stood, tracking's `accepted()` then), oldest first.
    waiting: VecDeque<(SavedSession, u64)>,
}

/// Candidates kept at most (one a second: ten minutes of a tracking writer that does not move).
const SETTLING_MAX: usize = 600;

impl Settling {
    /// Where the session stands now, and how many tracking records were accepted by then.
    pub fn offer(&mut self, session: SavedSession, accepted: u64) {
        if self.waiting.len() >= SETTLING_MAX {
            self.waiting.pop_front();
        }
        self.waiting.push_back((session, accepted));
    }

    /// The newest candidate whose records are all durable (tracking's `durable()` is `durable`),
    /// if one became so.
    pub fn settled(&mut self, durable: u64) -> Option<SavedSession> {
        let mut newest = None;
        while self.waiting.front().is_some_and(|(_, accepted)| *accepted <= durable) {
            newest = self.waiting.pop_front().map(|(s, _)| s);
        }
        newest
    }
}

/// Every saved session (read at start).
pub async fn load_all(store: &Store) -> Result<Vec<SavedSession>> {
    read(store, None).await
}

/// A bot's saved sessions (a bot this node takes over).
pub async fn load(store: &Store, bot_id: i64) -> Result<Vec<SavedSession>> {
    read(store, Some(bot_id)).await
}

async fn read(store: &Store, bot_id: Option<i64>) -> Result<Vec<SavedSession>> {
    const COLUMNS: &str =
        "SELECT bot_id, shard, session_id, sequence, resume_url, fingerprint, saved_at FROM gateway_sessions";
    let rows = match bot_id {
        None => sqlx::query(COLUMNS).fetch_all(store.pool()).await?,
        Some(id) => sqlx::query(&format!("{COLUMNS} WHERE bot_id = $1")).bind(id).fetch_all(store.pool()).await?,
    };
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let (Ok(shard), Ok(sequence)) =
            (u32::try_from(row.try_get::<i64, _>("shard")?), u64::try_from(row.try_get::<i64, _>("sequence")?))
        else {
            continue; // never written by botfleet: identify instead
        };
        out.push(SavedSession {
            bot_id: row.try_get("bot_id")?,
            shard,
            session_id: row.try_get("session_id")?,
            sequence,
            resume_url: row.try_get("resume_url")?,
            fingerprint: row.try_get("fingerprint")?,
            saved_at: row.try_get("saved_at")?,
        });
    }
    Ok(out)
}

async fn write(store: &Store, rows: &[SavedSession], forgotten: &HashSet<i64>, fence: Option<&str>) -> Result<()> {
    let mut tx = store.pool().begin().await?;
    for bot_id in forgotten {
        match fence {
            None => {
                sqlx::query("DELETE FROM gateway_sessions WHERE bot_id = $1").bind(*bot_id).execute(&mut *tx).await?
            }
            // Not a session another node holds the bot for now.
            Some(node) => {
                sqlx::query(
                    "DELETE FROM gateway_sessions WHERE bot_id = $1 AND NOT EXISTS \
                 (SELECT 1 FROM bot_leases l WHERE l.bot_id = $1 AND l.node_id <> $2)",
                )
                .bind(*bot_id)
                .bind(node.to_owned())
                .execute(&mut *tx)
                .await?
            }
        };
    }
    // 7 columns per row; stay well under SQLite's bound-parameter limit.
    for chunk in rows.chunks(500) {
        let fenced = " WHERE EXISTS (SELECT 1 FROM bot_leases l WHERE l.bot_id = excluded.bot_id \
                      AND l.shard = excluded.shard AND l.node_id = ?)";
        let upsert = format!(
            " ON CONFLICT (bot_id, shard) DO UPDATE SET session_id = excluded.session_id, sequence = excluded.sequence, \
             resume_url = excluded.resume_url, fingerprint = excluded.fingerprint, saved_at = excluded.saved_at{}",
            if fence.is_some() { fenced } else { "" }
        );
        let sql = crate::store::values_sql(
            store.backend(),
            "INSERT INTO gateway_sessions (bot_id, shard, session_id, sequence, resume_url, fingerprint, saved_at) VALUES ",
            "(?,?,?,?,?,?,?)",
            chunk.len(),
            &upsert,
        );
        let mut q = sqlx::query(&sql);
        for s in chunk {
            q = q
                .bind(s.bot_id)
                .bind(i64::from(s.shard))
                .bind(s.session_id.clone())
                .bind(i64::try_from(s.sequence).unwrap_or(i64::MAX))
                .bind(s.resume_url.clone())
                .bind(s.fingerprint.clone())
                .bind(s.saved_at);
        }
        if let Some(node) = fence {
            q = q.bind(node.to_owned());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(bot_id: i64, sequence: u64) -> SavedSession {
        SavedSession {
            bot_id,
            shard: 0,
            session_id: "s".into(),
            sequence,
            resume_url: "ws://x".into(),
            fingerprint: fingerprint("t", 1),
            saved_at: 0,
        }
    }

    #[test]
    fn the_fingerprint_changes_with_token_and_intents_and_hides_the_token() {
        let f = fingerprint("token-a", 513);
        assert_eq!(f, fingerprint("token-a", 513));
        assert_ne!(f, fingerprint("token-b", 513));
        assert_ne!(f, fingerprint("token-a", 512));
        assert!(!f.contains("token"));
    }

    #[test]
    fn a_candidate_is_saved_only_once_the_records_before_it_are_durable() {
        let mut settling = Settling::default();
        settling.offer(session(1, 5), 10);
        settling.offer(session(1, 9), 20);
        assert_eq!(settling.settled(9), None, "record 9 is not durable yet");
        assert_eq!(settling.settled(15).map(|s| s.sequence), Some(5));
        assert_eq!(settling.settled(15), None);
        assert_eq!(settling.settled(20).map(|s| s.sequence), Some(9));
    }

    #[test]
    fn only_a_change_makes_a_session_dirty() {
        let book = SessionBook::default();
        book.note(session(1, 5));
        assert_eq!(book.book().dirty.len(), 1);
        book.book().dirty.clear();
        book.note(session(1, 5));
        assert!(book.book().dirty.is_empty(), "an idle bot costs no write");
        book.note(session(1, 6));
        assert_eq!(book.book().dirty.len(), 1);
        book.forget(1);
        assert!(book.get(1, 0).is_none());
        assert!(book.book().dirty.is_empty());
        assert!(book.book().forgotten.contains(&1));
    }
}
