//! The tracking spool: when the in-memory queue is full (the database is down, or slower than the
//! bots), records go to append-only segment files in `<data_dir>/spool/` instead of making the
//! command path wait on the database. The writer writes them back in order once the database
//! takes records again, and a segment is deleted only after its records are committed. A spool
//! left by a previous run (a crash, kill -9, a shutdown during an outage) is written back at start.
//!
//! A frame is `len: u32 LE | crc32(payload): u32 LE | payload` (the payload: one record as JSON).
//! A torn or corrupt frame (a crash mid-write, a damaged disk) ends what can be trusted of its
//! segment: it is counted and the rest of that segment skipped, never parsed.
//!
//! Everything here is plain blocking file I/O under the tracker's std mutex: an append is one
//! `write` of a small frame. What can take long (fsync, reading a batch back) runs outside the
//! lock, on the blocking pool.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Frame header: length and checksum.
const HEADER: u64 = 8;
/// A frame longer than this is corruption, not a record (records are a few hundred bytes).
const MAX_FRAME: u32 = 16 << 20;
/// A segment stops taking appends past this size, so that space is returned while a long outage
/// is still being written back.
const SEGMENT_BYTES: u64 = 64 << 20;
/// The first segment's number: there is room below it for segments written at shutdown that must
/// be read before older ones (see [`Spool::prepend`]).
const FIRST_SEGMENT: u64 = 1 << 40;
/// The file naming the committed position (`segment offset`).
const COMMITTED: &str = "committed";

/// Wraps a payload in a frame.
pub fn frame(payload: &[u8]) -> io::Result<Vec<u8>> {
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|&n| n <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large to spool"))?;
    let mut out = Vec::with_capacity(payload.len() + 8);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// One segment on disk.
#[derive(Debug)]
struct Segment {
    number: u64,
    /// Bytes in the file (as far as this process knows: appended or found at start).
    len: u64,
}

/// The segment this run appends to. Always one this run created: a previous run's last segment
/// may end in a torn frame, after which nothing appended could be read.
#[derive(Debug)]
struct Tail {
    number: u64,
    file: File,
}

/// The segment files and what is committed of them.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    /// Oldest first.
    segments: VecDeque<Segment>,
    tail: Option<Tail>,
    /// Where the committed part of a segment ends (persisted in `committed`).
    committed: Option<(u64, u64)>,
    /// Valid frames on disk not yet committed.
    pub records: u64,
    /// Sealed segments (no longer appended to) whose data may not be on disk yet.
    unsynced: Vec<File>,
    /// Bytes of the tail known to be on disk.
    synced_len: u64,
    /// A segment file was created or deleted since the directory was last fsynced.
    dir_dirty: bool,
}

/// What the writer reads next: a segment from an offset, up to an end (the tail's length) or to
/// its end of file (a sealed segment).
#[derive(Debug, Clone)]
pub struct ReadPlan {
    pub number: u64,
    pub path: PathBuf,
    pub start: u64,
    pub end: Option<u64>,
}

/// Frames read back.
#[derive(Debug, Default)]
pub struct ReadBack {
    /// Payloads, in order.
    pub payloads: Vec<Vec<u8>>,
    /// The offset after the last frame read.
    pub next: u64,
    /// The segment has nothing more to give (its end of file, or a torn or corrupt frame).
    pub finished: bool,
    /// Torn or corrupt frames met (at most one: the rest of the segment is skipped).
    pub corrupt: u64,
}

/// An fsync to do outside the lock.
#[derive(Debug)]
pub struct SyncJob {
    files: Vec<File>,
    dir: Option<PathBuf>,
    tail: Option<(u64, u64)>,
}

impl SyncJob {
    /// Flushes the files (and the directory) to disk.
    pub fn run(&self) -> io::Result<()> {
        for f in &self.files {
            f.sync_data()?;
        }
        if let Some(dir) = &self.dir {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

fn segment_name(number: u64) -> String {
    format!("{number:020}.seg")
}

impl Spool {
    /// The spool in `dir`, with what a previous run left there (its valid frames counted).
    pub fn open(dir: PathBuf) -> io::Result<Self> {
        let mut spool = Self {
            dir,
            segments: VecDeque::new(),
            tail: None,
            committed: None,
            records: 0,
            unsynced: Vec::new(),
            synced_len: 0,
            dir_dirty: false,
        };
        let entries = match std::fs::read_dir(&spool.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(spool),
            Err(e) => return Err(e),
        };
        let mut numbers = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if let Some(n) = name.strip_suffix(".seg").and_then(|n| n.parse::<u64>().ok()) {
                numbers.push(n);
            }
        }
        numbers.sort_unstable();
        spool.committed = std::fs::read_to_string(spool.dir.join(COMMITTED)).ok().and_then(|text| {
            let (seg, off) = text.trim().split_once(' ')?;
            Some((seg.parse().ok()?, off.parse().ok()?))
        });
        for number in numbers {
            let path = spool.dir.join(segment_name(number));
            let len = std::fs::metadata(&path)?.len();
            let start = spool.start_of(number);
            let read = read_frames(&path, start, None, usize::MAX)?;
            spool.records += read.payloads.len() as u64;
            if read.corrupt > 0 {
                tracing::warn!(
                    segment = %path.display(),
                    valid_records = read.payloads.len(),
                    "a spool segment ends in a torn or corrupt frame (a crash mid-write?); the valid records before it will be written back"
                );
            }
            spool.segments.push_back(Segment { number, len });
        }
        Ok(spool)
    }

    /// Whether anything is on disk that the database does not have yet.
    pub fn active(&self) -> bool {
        !self.segments.is_empty()
    }

    /// Bytes on disk not yet committed.
    pub fn bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.len.saturating_sub(self.start_of(s.number))).sum()
    }

    fn start_of(&self, number: u64) -> u64 {
        match self.committed {
            Some((n, off)) if n == number => off,
            _ => 0,
        }
    }

    /// Appends one frame. On an error nothing of it counts: a partial write is cut off again, or
    /// (if even that fails) the segment is sealed so that nothing follows the torn frame.
    pub fn append(&mut self, frame: &[u8]) -> io::Result<()> {
        let rotate = match (&self.tail, self.segments.back()) {
            (Some(t), Some(last)) => last.number != t.number || last.len >= SEGMENT_BYTES,
            _ => true,
        };
        if rotate {
            self.new_tail()?;
        }
        let (Some(tail), Some(last)) = (self.tail.as_mut(), self.segments.back_mut()) else {
            return Err(io::Error::other("spool tail missing"));
        };
        if let Err(e) = tail.file.write_all(frame) {
            if tail.file.set_len(last.len).is_err() {
                self.seal();
            }
            return Err(e);
        }
        last.len += frame.len() as u64;
        self.records += 1;
        Ok(())
    }

    /// Starts a new segment after the newest.
    fn new_tail(&mut self) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let number = self.segments.back().map_or(FIRST_SEGMENT, |s| s.number + 1);
        let file = OpenOptions::new().create_new(true).append(true).open(self.dir.join(segment_name(number)))?;
        self.seal();
        self.segments.push_back(Segment { number, len: 0 });
        self.tail = Some(Tail { number, file });
        self.synced_len = 0;
        self.dir_dirty = true;
        Ok(())
    }

    /// Stops appending to the tail; its data is flushed by the next sync.
    fn seal(&mut self) {
        if let Some(tail) = self.tail.take() {
            self.unsynced.push(tail.file);
        }
    }

    /// Writes `frames` as a new segment read before every other one: records that were older
    /// than the whole spool (the writer's batch and queue at a shutdown the database refused),
    /// synced before it returns. Called only when nothing else appends any more.
    pub fn prepend(&mut self, frames: &[Vec<u8>]) -> io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let number = self.segments.front().map_or(FIRST_SEGMENT, |s| s.number.saturating_sub(1));
        let path = self.dir.join(segment_name(number));
        let mut file = OpenOptions::new().create_new(true).append(true).open(&path)?;
        let mut bytes = Vec::new();
        for f in frames {
            bytes.extend_from_slice(f);
        }
        file.write_all(&bytes)?;
        file.sync_data()?;
        self.segments.push_front(Segment { number, len: bytes.len() as u64 });
        self.records += frames.len() as u64;
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// What to read next, if anything (an empty tail segment is removed here).
    pub fn plan(&mut self) -> Option<ReadPlan> {
        loop {
            let head = self.segments.front()?;
            let start = self.start_of(head.number);
            let is_tail = self.tail.as_ref().is_some_and(|t| t.number == head.number);
            if is_tail && start >= head.len {
                let number = head.number;
                self.remove_head(number);
                continue;
            }
            return Some(ReadPlan {
                number: head.number,
                path: self.dir.join(segment_name(head.number)),
                start,
                end: is_tail.then_some(head.len),
            });
        }
    }

    /// Notes that the frames read by `plan` up to `read.next` are committed to the database:
    /// the position is persisted, and a segment with nothing more to give is deleted.
    pub fn advance(&mut self, plan: &ReadPlan, read: &ReadBack) {
        self.records = self.records.saturating_sub(read.payloads.len() as u64);
        let Some(head) = self.segments.front() else { return };
        if head.number != plan.number {
            return;
        }
        let is_tail = self.tail.as_ref().is_some_and(|t| t.number == head.number);
        // The tail is finished only when nothing was appended since the plan.
        let done = if is_tail { read.next >= head.len } else { read.finished };
        if done {
            self.remove_head(plan.number);
        } else {
            self.committed = Some((plan.number, read.next));
            let tmp = self.dir.join("committed.tmp");
            let written = std::fs::write(&tmp, format!("{} {}\n", plan.number, read.next))
                .and_then(|()| std::fs::rename(&tmp, self.dir.join(COMMITTED)));
            if let Err(e) = written {
                // A restart would write this segment's committed frames again (command rows
                // dedupe; bot log and audit rows would repeat): loud, not fatal.
                tracing::warn!(error = %e, "could not note the spool's committed position");
            }
        }
    }

    fn remove_head(&mut self, number: u64) {
        let Some(head) = self.segments.front() else { return };
        if head.number != number {
            return;
        }
        if self.tail.as_ref().is_some_and(|t| t.number == number) {
            self.tail = None;
            self.synced_len = 0;
        }
        let path = self.dir.join(segment_name(number));
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!(segment = %path.display(), error = %e, "could not delete a written-back spool segment");
        }
        if self.committed.is_some_and(|(n, _)| n == number) {
            self.committed = None;
            let _ = std::fs::remove_file(self.dir.join(COMMITTED));
        }
        self.segments.pop_front();
        if self.segments.is_empty() {
            self.records = 0;
            self.unsynced.clear();
        }
        self.dir_dirty = true;
    }

    /// What an fsync must flush now (`None`: nothing new), with the tail's length it covers.
    pub fn sync_job(&mut self) -> Option<SyncJob> {
        let tail = match (&self.tail, self.segments.back()) {
            (Some(t), Some(last)) if t.number == last.number && last.len > self.synced_len => {
                Some((t.number, last.len, t.file.try_clone().ok()?))
            }
            _ => None,
        };
        if tail.is_none() && self.unsynced.is_empty() && !self.dir_dirty {
            return None;
        }
        let mut files = std::mem::take(&mut self.unsynced);
        let mut covered = None;
        if let Some((number, len, file)) = tail {
            files.push(file);
            covered = Some((number, len));
        }
        let dir = std::mem::take(&mut self.dir_dirty).then(|| self.dir.clone()).filter(|d| d.exists());
        Some(SyncJob { files, dir, tail: covered })
    }

    /// Notes a finished sync: the tail is on disk up to what the job covered.
    pub fn synced(&mut self, job: &SyncJob) {
        if let (Some((number, len)), Some(t)) = (job.tail, &self.tail) {
            if t.number == number {
                self.synced_len = self.synced_len.max(len);
            }
        }
    }
}

/// Reads up to `limit` valid frames of a segment from `start` (to `end`, or to its end of file).
pub fn read_frames(path: &Path, start: u64, end: Option<u64>, limit: usize) -> io::Result<ReadBack> {
    let mut file = File::open(path)?;
    let file_len = file.metadata()?.len();
    let end = end.unwrap_or(file_len).min(file_len);
    let sealed_end = end == file_len;
    file.seek(SeekFrom::Start(start))?;
    let mut reader = io::BufReader::with_capacity(256 * 1024, file);
    let mut out = ReadBack { next: start, ..Default::default() };
    while out.payloads.len() < limit {
        let left = end.saturating_sub(out.next);
        if left == 0 {
            out.finished = sealed_end;
            return Ok(out);
        }
        let mut header = [0u8; 8];
        if left < HEADER || reader.read_exact(&mut header).is_err() {
            out.corrupt += 1;
            out.finished = true;
            return Ok(out);
        }
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let sum = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        if len > MAX_FRAME || left < HEADER + u64::from(len) {
            out.corrupt += 1;
            out.finished = true;
            return Ok(out);
        }
        let mut payload = vec![0u8; len as usize];
        if reader.read_exact(&mut payload).is_err() || crc32fast::hash(&payload) != sum {
            out.corrupt += 1;
            out.finished = true;
            return Ok(out);
        }
        out.next += HEADER + u64::from(len);
        out.payloads.push(payload);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn frames_read_back_in_order_and_a_torn_tail_is_counted_and_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path().join("spool")).unwrap();
        for i in 0..5 {
            spool.append(&frame(format!("record {i}").as_bytes()).unwrap()).unwrap();
        }
        let plan = spool.plan().unwrap();
        drop(spool);
        // A crash mid-write: half a frame at the end.
        let torn = frame(b"never finished").unwrap();
        let mut f = OpenOptions::new().append(true).open(&plan.path).unwrap();
        f.write_all(&torn[..torn.len() / 2]).unwrap();
        drop(f);

        let mut spool = Spool::open(dir.path().join("spool")).unwrap();
        assert_eq!(spool.records, 5);
        let plan = spool.plan().unwrap();
        assert_eq!(plan.end, None, "a previous run's segment is read to its end");
        let read = read_frames(&plan.path, plan.start, plan.end, 3).unwrap();
        assert_eq!(read.payloads, vec![b"record 0".to_vec(), b"record 1".to_vec(), b"record 2".to_vec()]);
        assert!(!read.finished);
        spool.advance(&plan, &read);
        drop(spool);

        // The committed position survives a restart: nothing is read twice.
        let mut spool = Spool::open(dir.path().join("spool")).unwrap();
        assert_eq!(spool.records, 2);
        let plan = spool.plan().unwrap();
        let read = read_frames(&plan.path, plan.start, plan.end, 100).unwrap();
        assert_eq!(read.payloads, vec![b"record 3".to_vec(), b"record 4".to_vec()]);
        assert_eq!((read.corrupt, read.finished), (1, true));
        spool.advance(&plan, &read);
        assert!(!spool.active());
        assert!(spool.plan().is_none());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("spool")).unwrap().collect();
        assert!(left.is_empty(), "the written-back segment is gone: {left:?}");
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = Spool::open(dir.path().to_path_buf()).unwrap();
        spool.append(&frame(b"good").unwrap()).unwrap();
        spool.append(&frame(b"flipped").unwrap()).unwrap();
        let plan = spool.plan().unwrap();
        let mut bytes = std::fs::read(&plan.path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&plan.path, bytes).unwrap();
        let read = read_frames(&plan.path, 0, None, 100).unwrap();
        assert_eq!(read.payloads, vec![b"good".to_vec()]);
        assert_eq!(read.corrupt, 1);
    }
}
