//! How many live WebSockets each credential has open, capped: one API key or sign-in session
//! cannot hold an unbounded number of sockets (each has a task and a 256-message queue). The
//! extra one is refused before the upgrade, as a rate limit (429).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::auth::{Credential, Principal};
use crate::error::{Error, Result};

/// Open live sockets per credential.
#[derive(Clone, Debug)]
pub struct LiveSockets {
    max: usize,
    // A std lock: held for a map update, never across an `.await`.
    open: Arc<Mutex<HashMap<String, usize>>>,
}

impl LiveSockets {
    /// At most `max` sockets per credential (at least one).
    pub fn new(max: usize) -> Self {
        Self { max: max.max(1), open: Arc::default() }
    }

    /// A place for one more socket of `principal`'s credential, held until dropped; a
    /// `RateLimited` error when it already has the most allowed.
    pub fn open(&self, principal: &Principal) -> Result<LiveSocket> {
        let key = match &principal.credential {
            Credential::ApiKey { id } => format!("key:{id}"),
            Credential::Session { id_hash } => format!("session:{id_hash}"),
        };
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key.clone()).or_insert(0);
        if *n >= self.max {
            return Err(Error::RateLimited {
                retry_after: Duration::from_secs(10),
                message: format!(
                    "this credential already has {} live connections open, the most allowed \
                     (BOTFLEET_LIVE_SOCKETS_PER_CREDENTIAL); close one first",
                    self.max
                ),
            });
        }
        *n += 1;
        Ok(LiveSocket { open: self.open.clone(), key })
    }
}

/// One open live socket's place, given back when dropped.
#[derive(Debug)]
pub struct LiveSocket {
    open: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl Drop for LiveSocket {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}
