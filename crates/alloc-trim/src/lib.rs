//! Gives the free pages the C allocator keeps back to the system.
//!
//! glibc's malloc keeps what a program freed in its arenas and returns only the top of each heap
//! by itself: after a burst (many REST connections, requests and batches at once) botfleet's
//! resident memory stayed at its peak although the memory was free. `malloc_trim(0)` walks every
//! arena and gives back each whole free page; `mallopt(M_ARENA_MAX)` keeps the arenas few, so
//! that free memory is in few places, and `mallopt(M_MMAP_THRESHOLD)` keeps large blocks out of
//! the heap. Elsewhere (musl, macOS, Windows) there are no such calls and
//! nothing is done.

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

/// Caps the allocator's arenas at `arenas` (at least 1); `true` when the cap was set. Call it
/// first thing in `main`, before any thread starts: a thread keeps the arena it first allocated
/// from.
///
/// glibc gives threads up to eight arenas per core, each keeping its own free memory: memory one
/// thread freed is of no use to a thread on another arena, and `malloc_trim` can only return whole
/// free pages of each. An async service's tasks move between a few worker threads, and SQLite
/// runs a thread per connection, so a burst left free memory scattered over many arenas (issue
/// 26: resident memory 75 s after 10,000 commands was 1.15 × the idle figure with glibc's
/// default, 1.08 × with two arenas).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn limit_arenas(arenas: usize) -> bool {
    let arenas = libc::c_int::try_from(arenas.max(1)).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` takes two integers and no pointer; glibc serialises it with every other
    // allocator call (MT-Safe in its manual).
    unsafe { libc::mallopt(libc::M_ARENA_MAX, arenas) == 1 }
}

/// Serves every allocation of `bytes` or more with its own mapping, returned to the system when
/// it is freed; `true` when set. Call it first thing in `main`.
///
/// glibc starts at 128 KiB but raises the threshold to the size of each mapped block freed (up to
/// 32 MiB), after which such blocks come from the heap, where one live allocation above them keeps
/// their pages. A fixed threshold keeps a burst's large buffers (batches, statements, grown
/// vectors) out of the heap (issue 26: 3 s after 10,000 commands, 1,000 bots held 44.1 KiB each
/// with 128 KiB fixed, 47.5 KiB with the moving threshold).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn map_large_allocations(bytes: usize) -> bool {
    let bytes = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    // SAFETY: as in `limit_arenas`: two integers, no pointer, serialised by glibc.
    unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, bytes) == 1 }
}

/// Serves large allocations with their own mapping: no such setting here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn map_large_allocations(_bytes: usize) -> bool {
    false
}

/// Caps the allocator's arenas: no such setting here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn limit_arenas(_arenas: usize) -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Held by each test that reads the process's resident memory, so that another test's
    /// allocations do not move it in between.
    static RSS: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// Resident anonymous memory of this process, in KiB.
    fn rss_anon_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("RssAnon:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// How many arenas malloc has, from `malloc_info`'s report (one `<heap nr=…>` per arena).
    #[allow(unsafe_code)]
    fn arenas() -> usize {
        let mut buf: *mut libc::c_char = std::ptr::null_mut();
        let mut len: libc::size_t = 0;
        // SAFETY: open_memstream writes the buffer's address and length into the two locals; the
        // stream is closed before they are read, and the buffer freed once, after the copy.
        let report = unsafe {
            let stream = libc::open_memstream(&mut buf, &mut len);
            assert!(!stream.is_null());
            assert_eq!(libc::malloc_info(0, stream), 0);
            libc::fclose(stream);
            let text = std::slice::from_raw_parts(buf.cast::<u8>(), len).to_vec();
            libc::free(buf.cast());
            text
        };
        String::from_utf8_lossy(&report).matches("<heap nr=").count()
    }

    /// With the cap in place, threads that start allocating share the arenas there are.
    #[test]
    fn capped_arenas_are_shared_by_new_threads() {
        assert!(limit_arenas(1));
        let before = arenas();
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let held = vec![i as u8; 4096];
                    barrier.wait();
                    held.len()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), 4096);
        }
        assert_eq!(arenas(), before, "no arena was added");
    }

    /// With the threshold fixed, a large block freed goes back to the system at once, even with
    /// a live allocation above it; glibc's moving threshold would have put the second one in the
    /// heap, where it stays resident after `free`.
    #[test]
    fn large_blocks_freed_are_given_back_at_once() {
        let _rss = RSS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        assert!(map_large_allocations(128 * 1024));
        // glibc raises its threshold to the size of a mapped block freed: this one would make
        // the next 4 MiB block come from the heap.
        drop(vec![1u8; 4 << 20]);
        let block = vec![2u8; 4 << 20];
        let pin = Box::new([3u8; 64]);
        let before = rss_anon_kib();
        drop(block);
        let after = rss_anon_kib();
        assert!(after + 2048 < before, "RssAnon {before} KiB → {after} KiB");
        assert_eq!(pin[0], 3);
    }

    /// Memory freed below a live allocation stays resident until it is asked back.
    #[test]
    fn freed_pages_below_a_live_allocation_come_back() {
        let _rss = RSS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
