//! How long a connection may take and how many may be open: the settings the server loop
//! (`net/server.rs`) enforces so that slow or idle clients cannot hold sockets forever, and the
//! process's open-file limit, raised at start, that the total connection cap stays below.

use std::time::Duration;

/// The connection limits, built once at start from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A client gets this long to finish the TLS handshake, and again to send a request's
    /// headers (the first request of a connection included).
    pub header_read_timeout: Duration,
    /// A request body must have arrived whole this long after its headers.
    pub body_timeout: Duration,
    /// A connection that has sent nothing for this long, with no request in flight, is closed.
    pub idle_timeout: Duration,
    /// Open connections per client IP address (the TCP peer: a proxy's connections are the proxy's).
    pub per_ip: usize,
    /// Open connections in all.
    pub total: usize,
}

impl ConnectionLimits {
    /// The defaults: headers within 10 s, body within 30 s, idle for 60 s, 256 per IP, 1024 in all.
    pub const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(60),
        per_ip: 256,
        total: 1024,
    };
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The process's open-file limit (`RLIMIT_NOFILE`) after [`raise_file_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    /// The soft limit in force: the most files and sockets the process may have open.
    pub soft: u64,
    /// The hard limit (the most the soft limit may be raised to).
    pub hard: u64,
}

/// Files kept free of client connections whatever the limit: database connections, the bots'
/// gateway and REST sockets, the SQLite files, logs, the listener itself.
pub const RESERVED_FILES: u64 = 256;

impl FileLimit {
    /// The most client connections that fit: the soft limit less a reserve (a quarter of it, at
    /// least [`RESERVED_FILES`]), at least one.
    pub fn connection_room(&self) -> usize {
        let reserve = (self.soft / 4).max(RESERVED_FILES);
        usize::try_from(self.soft.saturating_sub(reserve).max(1)).unwrap_or(usize::MAX)
    }
}

/// Raises the soft open-file limit to the hard limit (what a service may do on its own) and
/// returns the limits in force; `None` where they cannot be read (not Unix). A failed raise
/// leaves the soft limit as it was, and says so in the log.
pub fn raise_file_limit() -> Option<FileLimit> {
    imp::raise()
}

#[cfg(unix)]
mod imp {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

    use super::FileLimit;

    /// What "unlimited" (`RLIM_INFINITY`) is counted as.
    const UNLIMITED: u64 = 1 << 20;

    pub(super) fn raise() -> Option<FileLimit> {
        let before = getrlimit(Resource::Nofile);
        let soft = before.current.unwrap_or(UNLIMITED);
        let hard = before.maximum.unwrap_or(UNLIMITED);
        if soft < hard {
            let raised = Rlimit { current: before.maximum, maximum: before.maximum };
            if let Err(e) = setrlimit(Resource::Nofile, raised) {
                tracing::warn!(soft, hard, error = %e, "the open-file limit could not be raised to its hard limit");
                return Some(FileLimit { soft, hard });
            }
        }
        let after = getrlimit(Resource::Nofile);
        Some(FileLimit { soft: after.current.unwrap_or(UNLIMITED), hard: after.maximum.unwrap_or(UNLIMITED) })
    }
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn raise() -> Option<super::FileLimit> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_leave_room_for_everything_else() {
        assert_eq!(FileLimit { soft: 1024, hard: 1024 }.connection_room(), 768);
        assert_eq!(FileLimit { soft: 1_048_576, hard: 1_048_576 }.connection_room(), 786_432);
        assert_eq!(FileLimit { soft: 300, hard: 4096 }.connection_room(), 44);
        assert_eq!(FileLimit { soft: 100, hard: 100 }.connection_room(), 1);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let limit = raise_file_limit();
        if cfg!(unix) {
            let limit = limit.unwrap_or(FileLimit { soft: 0, hard: 1 });
            assert_eq!(limit.soft, limit.hard, "{limit:?}");
        }
    }
}
