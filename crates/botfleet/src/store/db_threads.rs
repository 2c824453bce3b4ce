//! SQLite's connection threads run at a lower priority than the runtime's threads (nice
//! [`NICE`]), so that the database's bulk work never takes a core from the answering of commands.
//!
//! sqlx runs each SQLite connection on a thread of its own (`sqlx-sqlite-worker-N`), and a
//! statement handed to it wakes it. Measured on one runtime thread under 1,000 commands/s (a
//! diagnostic build timing each task's polls): the tracking writer's polls took 1–3 ms of wall
//! time for 0.03–0.3 ms of CPU — the kernel ran the woken database thread, which then wrote a
//! batch of rows and their indexes for milliseconds, on the core of the thread that woke it — and
//! every command waiting on that thread waited with it. At a lower priority the database thread
//! waits for the answering thread instead; it still has every core the answering leaves idle, so
//! under the loads measured it keeps up as before.
//!
//! Linux only (`setpriority` on a thread id changes that thread alone there); elsewhere nothing is
//! done. Raising a thread's nice value needs no privilege.

/// The nice value given to the database's threads (the runtime's stay at the process's, 0 by
/// default): about a tenth of a core's share when both want the same core.
pub const NICE: i32 = 10;

/// The start of the name sqlx gives its SQLite connection threads, as the kernel keeps it (a
/// thread's name is cut at 15 bytes).
const THREAD_NAME: &str = "sqlx-sqlite-wor";

/// Gives every SQLite connection thread of this process the nice value [`NICE`] (those that have
/// it already are left alone); returns how many were changed. Reads `/proc`: call it from a
/// blocking thread.
#[cfg(target_os = "linux")]
pub fn lower() -> std::io::Result<usize> {
    use rustix::process::{getpriority_process, setpriority_process};
    let mut changed = 0;
    for thread in sqlite_threads()? {
        if getpriority_process(Some(thread)).ok() != Some(NICE) {
            setpriority_process(Some(thread), NICE)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Elsewhere: nothing to do.
#[cfg(not(target_os = "linux"))]
pub fn lower() -> std::io::Result<usize> {
    Ok(0)
}

/// The nice value of each SQLite connection thread of this process (for tests and diagnostics).
#[cfg(target_os = "linux")]
pub fn nice_values() -> std::io::Result<Vec<i32>> {
    sqlite_threads()?.into_iter().map(|thread| Ok(rustix::process::getpriority_process(Some(thread))?)).collect()
}

/// The ids of this process's SQLite connection threads, by their names in `/proc/self/task` (a
/// thread that ends while it is read is left out).
#[cfg(target_os = "linux")]
fn sqlite_threads() -> std::io::Result<Vec<rustix::process::Pid>> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")? {
        let task = task?;
        let Ok(name) = std::fs::read_to_string(task.path().join("comm")) else { continue };
        let id = task.file_name().to_str().and_then(|t| t.parse().ok()).and_then(rustix::process::Pid::from_raw);
        if let (true, Some(id)) = (name.starts_with(THREAD_NAME), id) {
            threads.push(id);
        }
    }
    Ok(threads)
}
