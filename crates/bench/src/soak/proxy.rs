//! The soak's database outage: botfleet reaches PostgreSQL only through this TCP proxy, which can
//! refuse new connections and cut the open ones for a while, as a network partition or a database
//! restart would, without touching the PostgreSQL server other people use.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running proxy; dropping it stops accepting.
pub struct Proxy {
    /// The port botfleet connects to on 127.0.0.1.
    pub port: u16,
    outage: watch::Sender<bool>,
    refused: Arc<AtomicU64>,
    cut: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards every connection to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let (outage, watching) = watch::channel(false);
        let (refused, cut) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (r, c) = (refused.clone(), cut.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() {
                    // Closed at once: the client sees its connection refused by the "database".
                    r.fetch_add(1, Ordering::Relaxed);
                    drop(client);
                    continue;
                }
                tokio::spawn(forward(client, upstream.clone(), watching.clone(), c.clone()));
            }
        });
        Ok(Self { port, outage, refused, cut, task })
    }

    /// Starts (`true`) or ends (`false`) the outage: while it lasts, open connections are cut and
    /// new ones closed as soon as they are accepted.
    pub fn set_outage(&self, down: bool) {
        self.outage.send_replace(down);
    }

    /// Connections refused and connections cut so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.refused.load(Ordering::Relaxed), self.cut.load(Ordering::Relaxed))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(mut client: TcpStream, upstream: String, mut outage: watch::Receiver<bool>, cut: Arc<AtomicU64>) {
    let Ok(mut server) = TcpStream::connect(&upstream).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = outage.wait_for(|down| *down) => {
            cut.fetch_add(1, Ordering::Relaxed);
        }
    }
}
