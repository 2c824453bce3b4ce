//! A request body with a deadline: it must have arrived whole within the body timeout of the
//! request's headers, or reading it fails. A client that trickles a body a byte at a time would
//! otherwise hold a handler (and its connection) for as long as it likes. The API answers such a
//! request with 408 and closes the connection (`api::serve`).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::BoxError;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// Whether a request's body ran out of time (shared with its [`DeadlineBody`]).
#[derive(Clone, Debug, Default)]
pub struct Expired(Arc<AtomicBool>);

impl Expired {
    /// The body was still arriving at its deadline.
    pub fn expired(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The body timed out (what reading it returns).
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

/// Gives `request`'s body a deadline `timeout` from now.
pub fn with_deadline(request: Request, timeout: Duration) -> (Request, Expired) {
    let expired = Expired::default();
    let deadline = Instant::now() + timeout;
    let flag = expired.clone();
    let request = request.map(|inner| Body::new(DeadlineBody { inner, deadline, sleep: None, expired: flag }));
    (request, expired)
}

/// A body that fails with [`BodyTimeout`] when it has not ended by `deadline`.
struct DeadlineBody {
    inner: Body,
    deadline: Instant,
    /// Made on the first read that has to wait (a bodiless request never needs one).
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Expired,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.expired.expired() {
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let deadline = self.deadline;
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            self.expired.0.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
