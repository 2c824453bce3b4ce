//! This process's own figures, read from `/proc` when asked (Linux; absent elsewhere): resident
//! memory, CPU time used, open sockets (gateway connections, API clients, database pool), and the
//! database's round-trip time measured with a ping; and the node's name.

use std::time::Duration;

use tokio::time::Instant;

use crate::store::Store;

/// The node, now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NodeFigures {
    pub rss_bytes: Option<u64>,
    /// User + system CPU time since the process started.
    pub cpu_seconds: Option<f64>,
    /// Open sockets of this process.
    pub open_sockets: Option<u64>,
    /// How long a trivial query took (`None` when it failed or took over 3 s).
    pub db_round_trip: Option<Duration>,
}

/// This node's name in performance rows and alerts: `BOTFLEET_NODE_NAME`, else the host name.
pub fn node_name() -> String {
    std::env::var("BOTFLEET_NODE_NAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok().map(|h| h.trim().to_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "local".into())
}

/// Resident memory of this process, in bytes: `VmRSS` of `/proc/self/status`, which the kernel
/// gives in KiB whatever the page size.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    rss_from_status(&status)
}

/// The `VmRSS:   1234 kB` line of a `/proc/PID/status` text, in bytes.
fn rss_from_status(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let mut words = line.split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next()? == "kB").then_some(kib * 1024)
}

/// Clock ticks per second for `/proc/self/stat` times (USER_HZ, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// User + system CPU seconds of this process.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces, so split after its closing paren):
    // state is field 3; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// Open sockets of this process.
pub fn open_sockets() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    let sockets = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count();
    u64::try_from(sockets).ok()
}

/// Times a ping to the database.
pub async fn db_round_trip(store: &Store) -> Option<Duration> {
    let started = Instant::now();
    match tokio::time::timeout(Duration::from_secs(3), store.ping()).await {
        Ok(Ok(())) => Some(started.elapsed()),
        _ => None,
    }
}

/// Every figure, now. The files of `/proc` are read on a blocking thread: counting the sockets
/// reads a link per open file (thousands with a large fleet), which would hold up the runtime
/// thread answering commands.
pub async fn read(store: &Store) -> NodeFigures {
    let from_proc = tokio::task::spawn_blocking(|| (rss_bytes(), cpu_seconds(), open_sockets())).await;
    // The closure cannot panic, but a runtime shutting down cancels it: the figures are unknown.
    let (rss_bytes, cpu_seconds, open_sockets) = from_proc.unwrap_or((None, None, None));
    NodeFigures { rss_bytes, cpu_seconds, open_sockets, db_round_trip: db_round_trip(store).await }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_memory_is_read_in_kib_whatever_the_page_size() {
        let text = "Name:\tbotfleet\nVmPeak:\t  9000 kB\nVmRSS:\t   5120 kB\nRssAnon:\t 100 kB\n";
        assert_eq!(rss_from_status(text), Some(5 * 1024 * 1024));
        assert_eq!(rss_from_status("VmRSS:\t12 pages\n"), None);
        assert!(rss_bytes().unwrap() > 1024 * 1024);
    }

    #[test]
    fn this_process_has_cpu_time_and_sockets_are_countable() {
        let spent = cpu_seconds().unwrap();
        assert!(spent >= 0.0);
        let _listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        assert!(open_sockets().unwrap() >= 1);
    }
}
