//! The state every handler and connection shares (`Shared`): the configuration, the clock, the
//! emulator's URLs and one lock each on the world, the live connections, the REST rate-limit
//! counters and the faults. It sits below everything that reads it (gateway, REST, control API,
//! scripting, load driver) and above only what it holds; `server` builds one per emulator.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::connections::Connections;
use crate::faults::Faults;
use crate::rate_limits::RestLimits;
use crate::world::State;

/// What every handler and connection shares.
#[derive(Debug)]
pub struct Shared {
    pub config: EmulatorConfig,
    pub clock: Arc<Clock>,
    /// `http://127.0.0.1:PORT`.
    pub http_url: String,
    /// `ws://127.0.0.1:PORT` (the gateway URL and `resume_gateway_url`).
    pub ws_url: String,
    state: Mutex<State>,
    connections: Mutex<Connections>,
    limits: Mutex<RestLimits>,
    faults: Mutex<Faults>,
    /// Load-driver worlds already built, by scenario shape, so repeated runs reuse them instead of
    /// growing the world (and every bot's memory) with new guilds each time.
    pub(crate) load_setups: Mutex<HashMap<String, Prepared>>,
    next_conn: AtomicU64,
    /// A handle on itself, for tasks that outlive a call (fault schedules, load runs).
    me: Weak<Shared>,
}

/// A world the load driver built for a scenario: each bot's guild and channels, and the users.
/// Kept here because `Shared` holds them between runs; `load` builds and reads them.
pub(crate) type Prepared = (Vec<BotSetup>, Vec<u64>);

/// One bot's share of the world built for the run.
#[derive(Debug, Clone)]
pub(crate) struct BotSetup {
    pub(crate) app_id: u64,
    pub(crate) bot_user: u64,
    pub(crate) channels: Vec<u64>,
    pub(crate) next_channel: usize,
}

impl Shared {
    /// The state of a new emulator listening on `addr`: an empty world, no connections, no faults.
    pub(crate) fn new(config: EmulatorConfig, addr: SocketAddr) -> Arc<Self> {
        let clock = Arc::new(Clock::new());
        Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            faults: Mutex::new(Faults::default()),
            load_setups: Mutex::new(HashMap::new()),
            state: Mutex::new(State::new(clock.clone(), config.replay_capacity)),
            config,
            clock,
            http_url: format!("http://{addr}"),
            ws_url: format!("ws://{addr}"),
            connections: Mutex::new(Connections::default()),
            limits: Mutex::new(RestLimits::default()),
            next_conn: AtomicU64::new(0),
        })
    }
}

// Each lock below is a std Mutex held only for in-memory work, never across `.await`; a poisoned
// lock (a panic elsewhere) still holds consistent data, so it is recovered rather than propagated.
impl Shared {
    /// The world.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Live gateway connections.
    pub fn connections(&self) -> MutexGuard<'_, Connections> {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// REST rate-limit counters.
    pub fn limits(&self) -> MutexGuard<'_, RestLimits> {
        self.limits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Injected faults.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A strong handle, for spawned tasks (`None` once the emulator is gone).
    pub fn handle(&self) -> Option<Arc<Shared>> {
        self.me.upgrade()
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed) + 1
    }
}
