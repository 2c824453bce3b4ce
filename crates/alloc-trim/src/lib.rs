//! Gives the free pages the C allocator keeps back to the system.
//!
//! glibc's malloc keeps what a program freed in its arenas and returns only the top of each heap
//! by itself: after a burst (many REST connections, requests and batches at once) botfleet's
//! resident memory stayed at its peak although the memory was free. `malloc_trim(0)` walks every
//! arena and gives back each whole free page. Elsewhere (musl, macOS, Windows) there is no such
//! call and nothing is done.

/// Asks the allocator to return its whole free pages to the system; `true` when some came back.
///
/// It locks each arena in turn while it walks it: call it when the process is quiet (after a
/// burst), from a blocking thread, not on every request.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and no state of ours; glibc serialises it with every
    // other allocator call (MT-Safe in its manual), so it cannot race an allocation.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Asks the allocator to return its whole free pages to the system: nothing to ask here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Resident anonymous memory of this process, in KiB.
    fn rss_anon_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// Memory freed below a live allocation stays resident until it is asked back.
    #[test]
    fn freed_pages_below_a_live_allocation_come_back() {
        // 64 MiB in small blocks, then free all but every 256th: the survivors pin the heap, so
        // free() alone cannot shrink it.
        let blocks: Vec<Box<[u8; 1024]>> = (0..64 * 1024).map(|i| Box::new([i as u8; 1024])).collect();
        let kept: Vec<Box<[u8; 1024]>> = blocks.into_iter().step_by(256).collect();
        let before = rss_anon_kib();
        assert!(release_free_memory(), "whole free pages were there to give back");
        let after = rss_anon_kib();
        assert!(after + 16 * 1024 < before, "RssAnon {before} KiB → {after} KiB");
        assert_eq!(kept.len(), 256);
    }
}
