//! Each bot's REST calls and the 429s met on them. twilight-http 0.18 retries a 429 by itself and
//! tells nobody but its log (`info!("rate limited; retrying")`, target
//! `twilight_http::response::future`, emitted while the request future is polled), and its client
//! builder has no hook for it. So every REST call a bot makes goes through [`Meter::call`] (or
//! [`Meter::run`]): it counts the call, then polls the request with the fleet's counting tracing
//! dispatcher as the current one and the bot's id in a thread-local. The dispatcher counts that
//! event for the bot (a short std lock on the runtime figures, no I/O) and forwards everything —
//! that event too, when the next subscriber wants it — to the dispatcher that was current when
//! the fleet was built: the process's subscriber in the binary (logs are unchanged), a test's or
//! none in tests (no global subscriber is needed).
//!
//! One dispatcher per fleet, not one per bot or per call: registering a dispatcher re-evaluates
//! every callsite in the process.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span;
use tracing::subscriber::Interest;
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

use super::invalid::InvalidRequests;
use super::runner::REST_TIMEOUT;
use crate::discord::Failure;
use crate::metrics::runtime::Runtimes;

/// Where twilight-http says it met a 429 and retries.
const TARGET: &str = "twilight_http::response::future";
const RETRYING: &str = "rate limited; retrying";

thread_local! {
    /// The bot whose request is being polled on this thread.
    static BOT: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Sets the thread's bot for one poll; puts back the previous one after.
struct BotScope(Option<i64>);

impl BotScope {
    fn enter(bot: Option<i64>) -> Self {
        Self(BOT.with(|b| b.replace(bot)))
    }
}

impl Drop for BotScope {
    fn drop(&mut self) {
        BOT.with(|b| b.set(self.0));
    }
}

/// The fleet's meter: its counting dispatcher and the figures it writes to.
pub struct RestMeter {
    dispatch: Dispatch,
    runtimes: Arc<Runtimes>,
    invalid: Arc<InvalidRequests>,
}

impl fmt::Debug for RestMeter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestMeter").finish_non_exhaustive()
    }
}

impl RestMeter {
    /// A meter forwarding to the dispatcher current now.
    pub fn new(runtimes: Arc<Runtimes>, invalid: Arc<InvalidRequests>) -> Self {
        let forward = tracing::dispatcher::get_default(Dispatch::clone);
        let dispatch = Dispatch::new(Counting { forward, runtimes: runtimes.clone(), invalid: invalid.clone() });
        Self { dispatch, runtimes, invalid }
    }

    /// The meter of one bot's calls; `None`: calls made for no bot (a configuration not saved
    /// yet), watched but counted nowhere.
    pub fn bot(&self, bot_id: Option<i64>) -> Meter {
        Meter {
            dispatch: self.dispatch.clone(),
            runtimes: self.runtimes.clone(),
            invalid: self.invalid.clone(),
            bot_id,
        }
    }
}

/// One bot's REST calls, metered. Cloning is cheap.
#[derive(Clone)]
pub struct Meter {
    dispatch: Dispatch,
    runtimes: Arc<Runtimes>,
    invalid: Arc<InvalidRequests>,
    bot_id: Option<i64>,
}

impl fmt::Debug for Meter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Meter").field("bot_id", &self.bot_id).finish_non_exhaustive()
    }
}

impl Meter {
    /// Runs one REST call (or a few steps that make one), counting it and the 429s it meets.
    pub async fn run<F: Future>(&self, call: F) -> F::Output {
        if let Some(bot) = self.bot_id {
            self.runtimes.update(bot, |r| r.rest_calls += 1);
        }
        self.watch(call).await
    }

    /// Runs `work` counting the 429s its REST calls meet, but not the calls: for work that is not
    /// the bot's own (a configuration test), so that its 429s are still seen.
    pub async fn watch<F: Future>(&self, work: F) -> F::Output {
        let mut work = std::pin::pin!(work);
        std::future::poll_fn(|cx| {
            let _bot = BotScope::enter(self.bot_id);
            tracing::dispatcher::with_default(&self.dispatch, || work.as_mut().poll(cx))
        })
        .await
    }

    /// A REST call, bounded by `REST_TIMEOUT` (twilight-http retries 429s without limit), its error
    /// in words.
    pub async fn call<T, F>(&self, request: F) -> Result<twilight_http::Response<T>, Failure>
    where
        F: IntoFuture<Output = Result<twilight_http::Response<T>, twilight_http::Error>>,
    {
        // A bot that made most of the invalid requests putting the IP at risk waits (not sent).
        if let Some(why) = self.bot_id.and_then(|bot| self.invalid.paused(bot)) {
            return Err(Failure::held_back(why));
        }
        // Built outside the metered poll: twilight's request span belongs to the normal subscriber.
        // Boxed: a twilight-http response future is large, and every future that awaits a call
        // would otherwise hold its room (and copy it on each move).
        let request = Box::pin(request.into_future());
        match self.run(tokio::time::timeout(REST_TIMEOUT, request)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                let failure = Failure::from_http(&e);
                // 429s are counted where twilight retries them (`Counting`).
                if matches!(failure.status, Some(401 | 403)) {
                    self.invalid.note(self.bot_id);
                }
                Err(failure)
            }
            Err(_) => Err(Failure::timed_out()),
        }
    }
}

/// Is this twilight-http's 429 event (or one of its neighbours at the same place and level)?
fn is_watched(meta: &Metadata<'_>) -> bool {
    meta.is_event() && *meta.level() == Level::INFO && meta.target() == TARGET
}

/// Whether the event's message is `text`.
fn says(event: &Event<'_>, text: &str) -> bool {
    struct Message<'a> {
        want: &'a str,
        matched: bool,
    }
    impl Visit for Message<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            if field.name() == "message" {
                self.matched = value == self.want;
            }
        }
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            if field.name() == "message" {
                self.matched = format!("{value:?}") == self.want;
            }
        }
    }
    let mut visitor = Message { want: text, matched: false };
    event.record(&mut visitor);
    visitor.matched
}

/// The counting subscriber: counts 429 retries for the thread's bot, forwards everything.
struct Counting {
    forward: Dispatch,
    runtimes: Arc<Runtimes>,
    invalid: Arc<InvalidRequests>,
}

impl Subscriber for Counting {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        let forwarded = self.forward.register_callsite(meta);
        if is_watched(meta) {
            Interest::always()
        } else {
            forwarded
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        is_watched(meta) || self.forward.enabled(meta)
    }

    // The process's maximum level is the most verbose of every registered dispatcher's, the one
    // forwarded to included: this one only needs its INFO event.
    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }

    fn new_span(&self, span: &span::Attributes<'_>) -> span::Id {
        self.forward.new_span(span)
    }

    fn record(&self, span: &span::Id, values: &span::Record<'_>) {
        self.forward.record(span, values);
    }

    fn record_follows_from(&self, span: &span::Id, follows: &span::Id) {
        self.forward.record_follows_from(span, follows);
    }

    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        if is_watched(meta) {
            if let Some(bot) = BOT.with(Cell::get) {
                if says(event, RETRYING) {
                    self.runtimes.update(bot, |r| r.rate_limited += 1);
                    self.invalid.note(Some(bot));
                }
            }
            // Enabled here for the count: pass it on only if the next subscriber wants it.
            if !self.forward.enabled(meta) {
                return;
            }
        }
        self.forward.event(event);
    }

    fn enter(&self, span: &span::Id) {
        self.forward.enter(span);
    }

    fn exit(&self, span: &span::Id) {
        self.forward.exit(span);
    }

    fn clone_span(&self, id: &span::Id) -> span::Id {
        self.forward.clone_span(id)
    }

    fn try_close(&self, id: span::Id) -> bool {
        self.forward.try_close(id)
    }

    fn current_span(&self) -> tracing_core::span::Current {
        self.forward.current_span()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A subscriber that keeps the messages it is given.
    struct Keep(Arc<Mutex<Vec<String>>>);

    impl Subscriber for Keep {
        fn enabled(&self, meta: &Metadata<'_>) -> bool {
            *meta.level() <= Level::INFO
        }
        fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
            span::Id::from_u64(1)
        }
        fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
        fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
        fn event(&self, event: &Event<'_>) {
            struct Text(String);
            impl Visit for Text {
                fn record_debug(&mut self, _: &Field, value: &dyn fmt::Debug) {
                    self.0 = format!("{value:?}");
                }
            }
            let mut text = Text(String::new());
            event.record(&mut text);
            self.0.lock().map(|mut v| v.push(text.0)).unwrap_or_default();
        }
        fn enter(&self, _: &span::Id) {}
        fn exit(&self, _: &span::Id) {}
    }

    fn invalid() -> Arc<InvalidRequests> {
        Arc::new(InvalidRequests::new(crate::time::Clock::manual(0), Default::default()))
    }

    #[tokio::test]
    async fn counts_the_retry_event_for_the_bot_and_forwards_every_event() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let _default = tracing::dispatcher::set_default(&Dispatch::new(Keep(seen.clone())));
        let runtimes = Arc::new(Runtimes::default());
        let meter = RestMeter::new(runtimes.clone(), invalid());
        let bot = meter.bot(Some(7));
        bot.run(async {
            tracing::info!(target: "twilight_http::response::future", "rate limited; retrying");
            tokio::task::yield_now().await;
            tracing::info!(target: "twilight_http::response::future", "rate limited; retrying");
            tracing::info!(target: "twilight_http::response::future", "globally rate limited");
            tracing::info!("something else");
            tracing::debug!("not wanted downstream");
        })
        .await;
        // Outside a metered call, or for no bot: not counted.
        tracing::info!(target: "twilight_http::response::future", "rate limited; retrying");
        meter
            .bot(None)
            .run(async { tracing::info!(target: "twilight_http::response::future", "rate limited; retrying") })
            .await;
        let figures = runtimes.get(7);
        assert_eq!((figures.rest_calls, figures.rate_limited), (1, 2));
        let seen = seen.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(seen.iter().filter(|m| *m == "rate limited; retrying").count(), 4, "{seen:?}");
        assert!(seen.contains(&"something else".to_owned()) && seen.contains(&"globally rate limited".to_owned()));
        assert!(!seen.iter().any(|m| m.contains("not wanted")));
    }

    #[tokio::test]
    async fn the_bot_at_fault_is_held_back_past_the_danger_level() {
        let invalid = Arc::new(InvalidRequests::new(
            crate::time::Clock::manual(0),
            crate::fleet::invalid::Levels { warning: 2, danger: 3 },
        ));
        let meter = RestMeter::new(Arc::new(Runtimes::default()), invalid.clone());
        for _ in 0..3 {
            invalid.note(Some(5));
        }
        let never = std::future::pending::<Result<twilight_http::Response<()>, twilight_http::Error>>();
        let held = tokio::time::timeout(std::time::Duration::from_secs(5), meter.bot(Some(5)).call(never)).await;
        let failure = held.expect("answered at once, not sent").expect_err("held back");
        assert!(failure.message.starts_with("paused:") && failure.status.is_none(), "{}", failure.message);
        // Another bot is not at fault: its call goes out (and here never ends).
        let never = std::future::pending::<Result<twilight_http::Response<()>, twilight_http::Error>>();
        let sent = tokio::time::timeout(std::time::Duration::from_millis(50), meter.bot(Some(6)).call(never)).await;
        assert!(sent.is_err(), "bot 6's call was sent");
    }

    #[tokio::test]
    async fn counts_with_no_subscriber_at_all() {
        let runtimes = Arc::new(Runtimes::default());
        let meter = RestMeter::new(runtimes.clone(), invalid());
        for _ in 0..2 {
            meter
                .bot(Some(3))
                .run(async { tracing::info!(target: "twilight_http::response::future", "rate limited; retrying") })
                .await;
        }
        assert_eq!((runtimes.get(3).rest_calls, runtimes.get(3).rate_limited), (2, 2));
    }
}
