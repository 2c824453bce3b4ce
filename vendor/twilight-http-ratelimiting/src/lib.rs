#![doc = include_str!("../README.md")]
#![warn(
    clippy::missing_const_for_fn,
    clippy::missing_docs_in_private_items,
    clippy::pedantic,
    missing_docs,
    unsafe_code
)]
#![allow(clippy::module_name_repetitions, clippy::must_use_candidate)]

mod state;

use std::{
    fmt::{self, Debug},
    future::Future,
    hash::{Hash as _, Hasher},
    num::NonZero,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::{runtime::Handle, sync::oneshot};

/// Duration from the first globally limited request until the remaining count
/// resets to the global limit count.
pub const GLOBAL_LIMIT_PERIOD: Duration = Duration::from_secs(1);

/// User actionable description of a request the rate limiter dropped (it never does: a request
/// waiting in a queue is always handed a permit, in its turn).
const DROPPED_REQUEST_MESSAGE: &str =
    "the rate limiter dropped a waiting request: report this to the maintainers";

/// HTTP request [method].
///
/// [method]: https://developer.mozilla.org/en-US/docs/Web/HTTP/Methods
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
#[non_exhaustive]
pub enum Method {
    /// Delete a resource.
    Delete,
    /// Retrieve a resource.
    Get,
    /// Update a resource.
    Patch,
    /// Create a resource.
    Post,
    /// Replace a resource.
    Put,
}

impl Method {
    /// Name of the method.
    pub const fn name(self) -> &'static str {
        match self {
            Method::Delete => "DELETE",
            Method::Get => "GET",
            Method::Patch => "PATCH",
            Method::Post => "POST",
            Method::Put => "PUT",
        }
    }
}

/// Rate limited endpoint.
///
/// The rate limiter dynamically supports new or unknown API paths, but is consequently unable to
/// catch invalid arguments. Invalidly structured endpoints may be permitted at an improper time.
///
/// # Example
///
/// ```no_run
/// # let rt = tokio::runtime::Builder::new_current_thread()
/// #     .enable_time()
/// #     .build()
/// #     .unwrap();
/// # rt.block_on(async {
/// # let rate_limiter = twilight_http_ratelimiting::RateLimiter::default();
/// use twilight_http_ratelimiting::{Endpoint, Method};
///
/// let url = "https://discord.com/api/v10/guilds/745809834183753828/audit-logs?limit=10";
/// let endpoint = Endpoint {
///     method: Method::Get,
///     path: String::from("guilds/745809834183753828/audit-logs"),
/// };
/// let permit = rate_limiter.acquire(endpoint).await;
/// let headers = unimplemented!("GET {url}");
/// permit.complete(headers);
/// # });
/// ```
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Endpoint {
    /// Method of the endpoint.
    pub method: Method,
    /// API path of the endpoint.
    ///
    /// Should not start with a slash (`/`) or include query parameters (`?key=value`).
    pub path: String,
}

impl Endpoint {
    /// Whether the endpoint is properly structured.
    pub(crate) fn is_valid(&self) -> bool {
        !self.path.as_bytes().starts_with(b"/") && !self.path.as_bytes().contains(&b'?')
    }

    /// Whether the endpoint is an interaction.
    pub(crate) fn is_interaction(&self) -> bool {
        self.path.as_bytes().starts_with(b"webhooks")
            || self.path.as_bytes().starts_with(b"interactions")
    }

    /// Whether the endpoint is one interaction's callback, `interactions/<id>/<token>/…`.
    ///
    /// botfleet's patch: each interaction has a queue of its own that is removed once idle.
    pub(crate) fn is_interaction_callback(&self) -> bool {
        self.path.as_bytes().starts_with(b"interactions/")
    }

    /// Feeds the top-level resources of this endpoint into the given [`Hasher`].
    ///
    /// Top-level resources represent the bucket namespace in which they are unique.
    ///
    /// Top-level resources are currently:
    /// - `channels/<channel_id>`
    /// - `guilds/<guild_id>`
    /// - `webhooks/<webhook_id>`
    /// - `webhooks/<webhook_id>/<webhook_token>`
    /// - `interactions/<interaction_id>/<interaction_token>` (botfleet's patch: upstream hashed
    ///   nothing, so all of a client's interaction callbacks waited in one queue)
    pub(crate) fn hash_resources(&self, state: &mut impl Hasher) {
        let mut segments = self.path.as_bytes().split(|&s| s == b'/');
        match segments.next().unwrap_or_default() {
            b"channels" => {
                if let Some(s) = segments.next() {
                    "channels".hash(state);
                    s.hash(state);
                }
            }
            b"guilds" => {
                if let Some(s) = segments.next() {
                    "guilds".hash(state);
                    s.hash(state);
                }
            }
            b"interactions" => {
                if let Some(s) = segments.next() {
                    "interactions".hash(state);
                    s.hash(state);
                }
                if let Some(s) = segments.next() {
                    s.hash(state);
                }
            }
            b"webhooks" => {
                if let Some(s) = segments.next() {
                    "webhooks".hash(state);
                    s.hash(state);
                }
                if let Some(s) = segments.next() {
                    s.hash(state);
                }
            }
            _ => {}
        }
    }
}

/// Parsed user response rate limit headers.
///
/// A `limit` of zero marks the [`Bucket`] as exhausted until `reset_at` elapses.
///
/// # Global limits
///
/// Please open an issue if the [`RateLimiter`] exceeded the global limit.
///
/// # Shared limits
///
/// You may preemptively exhaust the bucket until `Reset-After` by completing
/// the [`Permit`] with [`RateLimitHeaders::shared`], but are not required to
/// since these limits do not count towards the invalid request limit.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct RateLimitHeaders {
    /// Bucket identifier.
    pub bucket: Vec<u8>,
    /// Total number of requests until the bucket becomes exhausted.
    pub limit: u16,
    /// Number of remaining requests until the bucket becomes exhausted.
    pub remaining: u16,
    /// Time at which the bucket resets.
    pub reset_at: Instant,
}

impl RateLimitHeaders {
    /// Lowercased name for the bucket header.
    pub const BUCKET: &'static str = "x-ratelimit-bucket";

    /// Lowercased name for the limit header.
    pub const LIMIT: &'static str = "x-ratelimit-limit";

    /// Lowercased name for the remaining header.
    pub const REMAINING: &'static str = "x-ratelimit-remaining";

    /// Lowercased name for the reset-after header.
    pub const RESET_AFTER: &'static str = "x-ratelimit-reset-after";

    /// Lowercased name for the scope header.
    pub const SCOPE: &'static str = "x-ratelimit-scope";

    /// Emulates a shared resource limit as a user limit by setting `limit` and
    /// `remaining` to zero.
    pub fn shared(bucket: Vec<u8>, retry_after: u16) -> Self {
        Self {
            bucket,
            limit: 0,
            remaining: 0,
            reset_at: Instant::now() + Duration::from_secs(retry_after.into()),
        }
    }
}

/// Permit to send a Discord HTTP API request to the acquired endpoint.
///
/// botfleet's patch 5: the permit holds its rate limiter and reports back to it directly
/// ([`complete`][Self::complete], or cancellation when dropped); upstream's was a channel to the
/// limiter's actor task.
#[must_use = "dropping the permit immediately cancels itself"]
pub struct Permit {
    /// The rate limiter that handed the permit out.
    limiter: Arc<state::Shared>,
    /// Endpoint the permit is for; `None` once reported (completed, or handed back unsent).
    endpoint: Option<Endpoint>,
}

impl Permit {
    /// A permit for `endpoint`, to report to `limiter`.
    pub(crate) fn new(limiter: &Arc<state::Shared>, endpoint: Endpoint) -> Self {
        Self {
            limiter: Arc::clone(limiter),
            endpoint: Some(endpoint),
        }
    }

    /// Update the [`RateLimiter`] based on the response headers.
    ///
    /// Non-completed permits are regarded as cancelled, so only call this
    /// on receiving a response.
    pub fn complete(mut self, headers: Option<RateLimitHeaders>) {
        if let Some(endpoint) = self.endpoint.take() {
            self.limiter.respond(endpoint, state::Outcome::Response(headers));
        }
    }

    /// Drops a permit that never reached its requester, without reporting it (the rate limiter
    /// is handing it to the next request instead).
    pub(crate) fn defuse(mut self) {
        self.endpoint = None;
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(endpoint) = self.endpoint.take() {
            self.limiter.respond(endpoint, state::Outcome::Cancelled);
        }
    }
}

impl Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// A permit granted at once, or one waited for.
#[derive(Debug)]
enum Grant {
    /// Granted when asked (taken when polled).
    Ready(Option<Permit>),
    /// Waiting in a queue.
    Queued {
        /// Where the permit comes.
        rx: oneshot::Receiver<Permit>,
        /// Held so that the state (and the request in it) lives while the request waits.
        _limiter: Arc<state::Shared>,
    },
}

impl Grant {
    /// Polls for the permit; `Err` only if the rate limiter dropped the request.
    fn poll_permit(&mut self, cx: &mut Context<'_>) -> Poll<Result<Permit, oneshot::error::RecvError>> {
        match self {
            Grant::Ready(permit) => Poll::Ready(Ok(permit
                .take()
                .expect("permit future polled after completion"))),
            Grant::Queued { rx, .. } => Pin::new(rx).poll(cx),
        }
    }
}

/// Future that completes when a permit is ready.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct PermitFuture(Grant);

impl Future for PermitFuture {
    type Output = Permit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        #[allow(clippy::match_wild_err_arm)]
        self.0.poll_permit(cx).map(|r| match r {
            Ok(permit) => permit,
            Err(_) => panic!("{DROPPED_REQUEST_MESSAGE}"),
        })
    }
}

/// Future that completes when a permit is ready or cancelled.
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct MaybePermitFuture(Option<Grant>);

impl Future for MaybePermitFuture {
    type Output = Option<Permit>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.0 {
            Some(grant) => grant.poll_permit(cx).map(Result::ok),
            None => Poll::Ready(None),
        }
    }
}

/// Rate limit information for one or more paths from previous
/// [`RateLimitHeaders`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
pub struct Bucket {
    /// Total number of permits until the bucket becomes exhausted.
    pub limit: u16,
    /// Number of remaining permits until the bucket becomes exhausted.
    pub remaining: u16,
    /// Time at which the bucket resets.
    pub reset_at: Instant,
}

/// Discord HTTP client API rate limiter.
///
/// botfleet's patch 5: the [`RateLimiter`] is state under a lock, changed by the tasks that ask
/// for permits and complete them. A request that finds its queue free gets its permit at once,
/// without a task, channel or wake-up; one that must wait gets a channel, and a timer task runs
/// only while a bucket (or the global limit) is exhausted and a request waits for its reset.
/// Upstream ran an actor task per rate limiter and passed every request and response through it.
///
/// Cloning a [`RateLimiter`] shares its state.
#[derive(Clone)]
pub struct RateLimiter {
    /// The state shared by its clones, its permits and its waiting requests.
    shared: Arc<state::Shared>,
}

impl Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter").finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// Create a new [`RateLimiter`] with a custom global limit.
    ///
    /// Note that the global limit may be practically disabled by passing `u16::MAX`.
    ///
    /// # Panics
    ///
    /// Panics if the global limit is 0, or if called outside a tokio runtime (its reset timers
    /// run there).
    #[track_caller]
    pub fn new(global_limit: u16) -> Self {
        let global_limit = NonZero::new(global_limit).expect("global limit is non-zero");
        Self {
            shared: Arc::new(state::Shared::new(global_limit, Handle::current())),
        }
    }

    /// Await a single permit for this endpoint.
    ///
    /// Permits are queued per endpoint in the order they were requested.
    pub fn acquire(&self, endpoint: Endpoint) -> PermitFuture {
        PermitFuture(self.grant(endpoint))
    }

    /// Await a single permit for this endpoint, but only if the predicate evaluates
    /// to `true`.
    ///
    /// Permits are queued per endpoint in the order they were requested.
    ///
    /// Note that the predicate is called at once, with the bucket as it is now.
    ///
    /// # Example
    ///
    /// ```no_run
    /// # let rt = tokio::runtime::Builder::new_current_thread()
    /// #     .enable_time()
    /// #     .build()
    /// #     .unwrap();
    /// # rt.block_on(async {
    /// # let rate_limiter = twilight_http_ratelimiting::RateLimiter::default();
    /// use twilight_http_ratelimiting::{Endpoint, Method};
    ///
    /// let endpoint = Endpoint {
    ///     method: Method::Get,
    ///     path: String::from("applications/@me"),
    /// };
    /// if let Some(permit) = rate_limiter
    ///     .acquire_if(endpoint, |b| b.is_none_or(|b| b.remaining > 10))
    ///     .await
    /// {
    ///     let headers = unimplemented!("GET /applications/@me");
    ///     permit.complete(headers);
    /// }
    /// # });
    /// ```
    pub fn acquire_if<P>(&self, endpoint: Endpoint, predicate: P) -> MaybePermitFuture
    where
        P: FnOnce(Option<Bucket>) -> bool + Send + 'static,
    {
        // Called outside the lock, so a predicate may use the rate limiter itself.
        let wanted = predicate(self.shared.bucket(&endpoint));
        MaybePermitFuture(wanted.then(|| self.grant(endpoint)))
    }

    /// Grants a permit for this endpoint now, or queues the request for one.
    fn grant(&self, endpoint: Endpoint) -> Grant {
        match self.shared.acquire(endpoint) {
            Ok(permit) => Grant::Ready(Some(permit)),
            Err(rx) => Grant::Queued {
                rx,
                _limiter: Arc::clone(&self.shared),
            },
        }
    }

    /// Retrieve the [`Bucket`] for this endpoint.
    #[allow(clippy::unused_async)]
    pub async fn bucket(&self, endpoint: Endpoint) -> Option<Bucket> {
        self.shared.bucket(&endpoint)
    }
}

impl Default for RateLimiter {
    /// Create a new [`RateLimiter`] with Discord's default global limit.
    ///
    /// Currently this is `50`.
    fn default() -> Self {
        Self::new(50)
    }
}

#[cfg(test)]
mod tests {
    use super::{
        Bucket, Endpoint, MaybePermitFuture, Method, Permit, PermitFuture, RateLimitHeaders,
        RateLimiter,
    };
    use static_assertions::assert_impl_all;
    use std::{
        fmt::Debug,
        future::Future,
        hash::{DefaultHasher, Hash, Hasher as _},
        time::{Duration, Instant},
    };
    use tokio::task;

    assert_impl_all!(Bucket: Clone, Copy, Debug, Eq, Hash, PartialEq, Send, Sync);
    assert_impl_all!(Endpoint: Clone, Debug, Eq, Hash, PartialEq, Send, Sync);
    assert_impl_all!(MaybePermitFuture: Debug, Future<Output = Option<Permit>>);
    assert_impl_all!(Method: Clone, Copy, Debug, Eq, PartialEq);
    assert_impl_all!(Permit: Debug, Send, Sync);
    assert_impl_all!(PermitFuture: Debug, Future<Output = Permit>);
    assert_impl_all!(RateLimitHeaders: Clone, Debug, Eq, Hash, PartialEq, Send, Sync);
    assert_impl_all!(RateLimiter: Clone, Debug, Default, Send, Sync);

    const ENDPOINT: fn() -> Endpoint = || Endpoint {
        method: Method::Get,
        path: String::from("applications/@me"),
    };

    #[tokio::test]
    async fn acquire_if() {
        let rate_limiter = RateLimiter::default();

        assert!(
            rate_limiter
                .acquire_if(ENDPOINT(), |_| false)
                .await
                .is_none()
        );
        assert!(
            rate_limiter
                .acquire_if(ENDPOINT(), |_| true)
                .await
                .is_some()
        );
    }

    #[tokio::test]
    async fn bucket() {
        let rate_limiter = RateLimiter::default();

        let limit = 2;
        let remaining = 1;
        let reset_at = Instant::now() + Duration::from_secs(1);
        let headers = RateLimitHeaders {
            bucket: vec![1, 2, 3],
            limit,
            remaining,
            reset_at,
        };

        rate_limiter
            .acquire(ENDPOINT())
            .await
            .complete(Some(headers));
        task::yield_now().await;

        let bucket = rate_limiter.bucket(ENDPOINT()).await.unwrap();
        assert_eq!(bucket.limit, limit);
        assert_eq!(bucket.remaining, remaining);
        assert!(
            bucket.reset_at.saturating_duration_since(reset_at) < Duration::from_millis(1)
                && reset_at.saturating_duration_since(bucket.reset_at) < Duration::from_millis(1)
        );
    }

    fn with_hasher(f: impl FnOnce(&mut DefaultHasher)) -> u64 {
        let mut hasher = DefaultHasher::new();
        f(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn endpoint() {
        let invalid = Endpoint {
            method: Method::Get,
            path: String::from("/guilds/745809834183753828/audit-logs?limit=10"),
        };
        let delete_webhook = Endpoint {
            method: Method::Delete,
            path: String::from("webhooks/1"),
        };
        let interaction_response = Endpoint {
            method: Method::Post,
            path: String::from("interactions/1/abc/callback"),
        };

        assert!(!invalid.is_valid());
        assert!(delete_webhook.is_valid());
        assert!(interaction_response.is_valid());

        assert!(delete_webhook.is_interaction());
        assert!(interaction_response.is_interaction());

        assert_eq!(
            with_hasher(|state| invalid.hash_resources(state)),
            with_hasher(|_| {})
        );
        assert_eq!(
            with_hasher(|state| delete_webhook.hash_resources(state)),
            with_hasher(|state| {
                "webhooks".hash(state);
                b"1".hash(state);
            })
        );
        assert!(interaction_response.is_interaction_callback());
        assert!(!delete_webhook.is_interaction_callback());
        assert_eq!(
            with_hasher(|state| interaction_response.hash_resources(state)),
            with_hasher(|state| {
                "interactions".hash(state);
                b"1".hash(state);
                b"abc".hash(state);
            })
        );
    }

    #[test]
    fn method_conversions() {
        assert_eq!("DELETE", Method::Delete.name());
        assert_eq!("GET", Method::Get.name());
        assert_eq!("PATCH", Method::Patch.name());
        assert_eq!("POST", Method::Post.name());
        assert_eq!("PUT", Method::Put.name());
    }
}
