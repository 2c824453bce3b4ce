//! The connection caps: how many connections are open per client IP and in all. The server loop
//! asks for a [`Slot`] for each accepted socket before reading a byte; over a cap the socket is
//! closed at once, and the refusals are counted and logged at most once per [`REPORT_EVERY`], so
//! a flood cannot also flood the log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Refusals are summed into one log line per this period.
pub const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Which cap a connection hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverCap {
    /// Its IP address already has `per_ip` connections open.
    PerIp,
    /// `total` connections are open.
    Total,
}

/// Open connections per IP and in all, shared by the accept loop and every connection's slot.
#[derive(Clone, Debug)]
pub struct Gate {
    per_ip: usize,
    total: usize,
    // A std lock: held for a map update, never across an `.await`.
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    open: HashMap<IpAddr, usize>,
    total: usize,
    /// Refusals since the last report, and when that was.
    refused_ip: u64,
    refused_total: u64,
    reported: Option<Instant>,
}

impl Gate {
    /// A gate letting `per_ip` connections in per address and `total` in all (each at least one).
    pub fn new(per_ip: usize, total: usize) -> Self {
        Self { per_ip: per_ip.max(1), total: total.max(1), state: Arc::default() }
    }

    /// A slot for a connection from `ip`, held until the connection's socket is dropped; `Err`
    /// over a cap (the refusal is counted and reported).
    pub fn enter(&self, ip: IpAddr) -> Result<Slot, OverCap> {
        let ip = ip.to_canonical();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let from_ip = state.open.get(&ip).copied().unwrap_or(0);
        let refusal = if from_ip >= self.per_ip {
            Some(OverCap::PerIp)
        } else if state.total >= self.total {
            Some(OverCap::Total)
        } else {
            None
        };
        if let Some(cap) = refusal {
            match cap {
                OverCap::PerIp => state.refused_ip += 1,
                OverCap::Total => state.refused_total += 1,
            }
            self.report(&mut state);
            return Err(cap);
        }
        state.open.insert(ip, from_ip + 1);
        state.total += 1;
        Ok(Slot { gate: self.state.clone(), ip })
    }

    /// Connections open now (in all).
    pub fn open(&self) -> usize {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).total
    }

    fn report(&self, state: &mut State) {
        let now = Instant::now();
        if state.reported.is_some_and(|at| now.duration_since(at) < REPORT_EVERY) {
            return;
        }
        tracing::warn!(
            refused_per_ip = state.refused_ip,
            refused_total = state.refused_total,
            per_ip_cap = self.per_ip,
            total_cap = self.total,
            open = state.total,
            "connections refused over the caps (BOTFLEET_MAX_CONNECTIONS_PER_IP, BOTFLEET_MAX_CONNECTIONS); \
             counts since the last such line"
        );
        state.refused_ip = 0;
        state.refused_total = 0;
        state.reported = Some(now);
    }
}

/// One open connection's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    gate: Arc<Mutex<State>>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.gate.lock().unwrap_or_else(PoisonError::into_inner);
        state.total = state.total.saturating_sub(1);
        if let Some(n) = state.open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                state.open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn caps_per_ip_and_in_all() {
        let gate = Gate::new(2, 3);
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let a1 = gate.enter(a).unwrap();
        let _a2 = gate.enter(a).unwrap();
        assert_eq!(gate.enter(a).unwrap_err(), OverCap::PerIp);
        // An IPv4-mapped IPv6 address is the same client.
        assert_eq!(gate.enter("::ffff:127.0.0.2".parse().unwrap()).unwrap_err(), OverCap::PerIp);
        let _b1 = gate.enter(b).unwrap();
        assert_eq!(gate.enter(b).unwrap_err(), OverCap::Total);
        assert_eq!(gate.open(), 3);
        drop(a1);
        assert_eq!(gate.open(), 2);
        let _a3 = gate.enter(a).unwrap();
    }
}
