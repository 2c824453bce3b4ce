//! The accept loop for plain HTTP and TLS alike, and what it does so that slow or idle clients
//! cannot hold sockets forever: each accepted socket first takes a slot under the per-IP and
//! total caps (over a cap it is closed at once, before a byte is read); a TLS handshake and each
//! request's headers must arrive within the header-read timeout (the first request's included);
//! a connection with nothing in flight that sends nothing for the idle timeout is closed. Request
//! bodies are timed by the API (`api::serve`), which answers a late one with 408.
//!
//! Connections are served by hyper-util (HTTP/1.1, HTTP/2 by prior knowledge or ALPN, upgrades
//! for WebSockets); handlers see `ConnectInfo<SocketAddr>` and, over TLS, [`TlsConnection`].
//! Shutdown stops accepting, closes idle connections and lets in-flight requests finish.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::gate::{Gate, Slot};
use super::limits::ConnectionLimits;
use super::tls::TlsConnection;

/// What every connection task shares.
struct Shared {
    router: Router,
    tls: Option<TlsAcceptor>,
    limits: ConnectionLimits,
    builder: auto::Builder<TokioExecutor>,
}

/// Serves `router` on `listener` (over TLS with `tls`) under `limits` until `shutdown`
/// completes, then stops accepting and waits for open connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let gate = Gate::new(limits.per_ip, limits.total);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        // A peer that stops answering pings is gone: its connection is closed.
        .keep_alive_interval(limits.idle_timeout)
        .keep_alive_timeout(limits.header_read_timeout)
        .max_concurrent_streams(64);
    let shared = Arc::new(Shared { router, tls: tls.map(TlsAcceptor::from), limits, builder });
    // Every connection task holds a receiver: `closed()` resolves when the last one has ended.
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Over a cap: dropped here, closed before a byte is read (the gate counts and reports it).
        let Ok(slot) = gate.enter(peer.ip()) else {
            continue;
        };
        tokio::spawn(connection(tcp, peer, slot, shared.clone(), stopping.clone()));
    }
    drop(listener);
    drop(stopping);
    let _ = stop.send(true);
    stop.closed().await;
    Ok(())
}

/// One connection, from the TLS handshake (if any) to its close.
async fn connection(tcp: TcpStream, peer: SocketAddr, slot: Slot, shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let io = Tracked { tcp, _slot: slot };
    match &shared.tls {
        None => serve_connection(io, peer, false, &shared, stop).await,
        Some(acceptor) => {
            let handshake = tokio::time::timeout(shared.limits.header_read_timeout, acceptor.accept(io));
            let mut waiting = stop.clone();
            let tls = tokio::select! {
                done = handshake => match done {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                },
                _ = waiting.wait_for(|stopping| *stopping) => return,
            };
            serve_connection(tls, peer, true, &shared, stop).await;
        }
    }
}

/// HTTP on an established connection, watched for idleness and shutdown.
async fn serve_connection<I>(io: I, peer: SocketAddr, tls: bool, shared: &Shared, mut stop: watch::Receiver<bool>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity {
        opened: Instant::now(),
        last: AtomicU64::new(0),
        started: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
        changed: Notify::new(),
    });
    let router = shared.router.clone();
    let requests = activity.clone();
    let service = tower::service_fn(move |mut request: axum::extract::Request<hyper::body::Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        if tls {
            request.extensions_mut().insert(TlsConnection);
        }
        let in_flight = InFlight::start(requests.clone());
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await;
            drop(in_flight);
            response
        }
    });
    let connection = shared.builder.serve_connection_with_upgrades(TokioIo::new(io), TowerToHyperService::new(service));
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        tokio::select! {
            ended = connection.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = stop.wait_for(|stopping| *stopping), if !closing => {
                if activity.requests() == 0 {
                    return;
                }
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
            first = activity.idle(&shared.limits), if !closing => {
                if first {
                    tracing::debug!(%peer, "no request within the header-read timeout; closing");
                    return;
                }
                tracing::debug!(%peer, "idle; closing");
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

/// As `axum::serve`: a client that gave up before `accept` is nothing; anything else (out of file
/// descriptors) is logged and accepting pauses a second rather than spinning.
async fn accept_failed(e: io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// When a connection (after its TLS handshake) last had a request started or answered. Bytes alone are not activity: an
/// HTTP/2 ping's answer or a trickle of header bytes does not keep a connection open.
#[derive(Debug)]
struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last activity.
    last: AtomicU64,
    /// Requests started so far.
    started: AtomicU64,
    /// Requests whose handler has not answered yet.
    in_flight: AtomicUsize,
    /// Told when a request starts or ends (a stored permit if nobody waits yet).
    changed: Notify,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.fetch_max(ms, Ordering::Relaxed);
    }

    fn requests(&self) -> u64 {
        self.started.load(Ordering::Relaxed)
    }

    /// Resolves when the connection has gone quiet: `true` when no request came within the
    /// header-read timeout of the connection opening, `false` when no request has been in
    /// flight or started for the idle timeout.
    async fn idle(&self, limits: &ConnectionLimits) -> bool {
        loop {
            let first = self.requests() == 0;
            let deadline = if first {
                self.opened + limits.header_read_timeout
            } else {
                let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
                self.opened + last + limits.idle_timeout
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                // A request started or ended: the deadline moved.
                () = self.changed.notified() => continue,
            }
            if first {
                if self.requests() == 0 {
                    return true;
                }
                continue;
            }
            if self.in_flight.load(Ordering::Relaxed) > 0 {
                // A handler is working: quiet is not idle.
                self.touch();
                continue;
            }
            let last = Duration::from_millis(self.last.load(Ordering::Relaxed));
            if Instant::now() >= self.opened + last + limits.idle_timeout {
                return false;
            }
        }
    }
}

/// A request being handled; counted in [`Activity`] until dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.started.fetch_add(1, Ordering::Relaxed);
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        activity.touch();
        activity.changed.notify_one();
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
        self.0.changed.notify_one();
    }
}

/// The TCP stream with the connection's slot under the caps, held until the socket is closed
/// (after a WebSocket upgrade too, when the WebSocket ends).
struct Tracked {
    tcp: TcpStream,
    _slot: Slot,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, data)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
