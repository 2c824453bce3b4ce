//! The load driver against a real twilight echo bot: every command answered once, and the
//! report's numbers agree with the emulator's own dispatch counters.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/echo_bot.rs"]
mod echo_bot;

use common::{install_crypto, wait_for};
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, Scenario};

async fn echo_fleet(bots: usize) -> (Emulator, Vec<tokio::task::JoinHandle<()>>) {
    install_crypto();
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..bots {
        let app = emulator
            .create_application(ApplicationSpec {
                name: format!("Echo {i}"),
                max_concurrency: 16,
                ..Default::default()
            })
            .unwrap();
        tasks.push(tokio::spawn(echo_bot::run(
            emulator.host(),
            emulator.gateway_url().to_owned(),
            app.token,
            app.application_id,
        )));
    }
    wait_for("every echo bot connected with /ping registered", 30, || {
        let connected = emulator.sessions(None).iter().filter(|s| s.attached).count();
        let registered = emulator.state().commands.len();
        (connected == bots && registered == bots).then_some(())
    })
    .await;
    (emulator, tasks)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_run_is_fully_answered_and_agrees_with_the_counters() {
    let (emulator, _bots) = echo_fleet(2).await;
    let scenario = Scenario {
        users: 5,
        rate: 100.0,
        duration_secs: 1.0,
        slash_percent: 50,
        grace_secs: 10.0,
        ..Default::default()
    };
    let report = emulator.run_load(scenario).await.unwrap();
    for kind in ["prefix", "slash"] {
        let k = &report.kinds[kind];
        assert_eq!((k.sent, k.answered, k.unanswered, k.answered_twice), (50, 50, 0, 0), "{kind}: {report:#?}");
        assert!(k.latency_ms.p50 > 0.0 && k.latency_ms.max >= k.latency_ms.p99, "{report:#?}");
    }
    assert_eq!(report.unmatched_replies, 0);
    let d = &report.dispatches;
    assert!(d.consistent, "{d:#?}");
    assert_eq!(d.interaction_create_dispatched, 50, "sent = dispatched");
    assert_eq!(d.message_create_dispatched, 50 + 100, "every prefix command and every reply dispatched");

    // The same shape again reuses the world built for the first run.
    let guilds = emulator.state().guilds.len();
    let again = Scenario {
        users: 5,
        rate: 100.0,
        duration_secs: 0.5,
        slash_percent: 50,
        grace_secs: 10.0,
        ..Default::default()
    };
    let report = emulator.run_load(again).await.unwrap();
    assert_eq!(emulator.state().guilds.len(), guilds, "no new guilds");
    assert_eq!(report.kinds["prefix"].answered + report.kinds["slash"].answered, 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_is_not_there_shows_up_as_unanswered() {
    install_crypto();
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    emulator.create_application(ApplicationSpec::default()).unwrap();
    let scenario =
        Scenario { users: 2, rate: 20.0, duration_secs: 0.5, slash_percent: 0, grace_secs: 0.2, ..Default::default() };
    let report = emulator.run_load(scenario).await.unwrap();
    let prefix = &report.kinds["prefix"];
    assert_eq!((prefix.sent, prefix.answered, prefix.unanswered), (10, 0, 10));
    // Sent but never dispatched (no session): the counters disagree with what was sent, and the
    // report says so.
    assert!(!report.dispatches.consistent, "{:?}", report.dispatches);
    assert_eq!((report.dispatches.message_create_dispatched, report.dispatches.message_create_expected), (0, 10));
}

#[tokio::test]
async fn bad_scenarios_are_refused_and_change_nothing() {
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    emulator.create_application(ApplicationSpec::default()).unwrap();
    let users_before = emulator.state().users.len();
    let bad = Scenario { rate: 0.0, ..Default::default() };
    assert!(emulator.run_load(bad).await.unwrap_err().to_string().contains("rate"));
    let no_command = Scenario { duration_secs: 0.1, ..Default::default() };
    let err = emulator.run_load(no_command).await.unwrap_err().to_string();
    assert!(err.contains("no global /ping command"), "{err}");
    assert_eq!(emulator.state().users.len(), users_before);
}

/// The second run reuses the first run's channels, which still hold its commands and replies:
/// each report counts only its own run, so both agree with the dispatch counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_to_back_runs_on_one_world_each_agree_with_the_counters() {
    let (emulator, _bots) = echo_fleet(2).await;
    let scenario = Scenario {
        users: 5,
        rate: 100.0,
        duration_secs: 0.5,
        slash_percent: 50,
        grace_secs: 10.0,
        ..Default::default()
    };
    for run in 1..=2 {
        let report = emulator.run_load(scenario.clone()).await.unwrap();
        for kind in ["prefix", "slash"] {
            let k = &report.kinds[kind];
            assert_eq!((k.sent, k.answered, k.unanswered, k.answered_twice), (25, 25, 0, 0), "run {run} {kind}");
        }
        let d = &report.dispatches;
        assert!(d.consistent, "run {run}: {d:#?}");
        assert_eq!(
            (d.interaction_create_dispatched, d.message_create_dispatched, d.message_create_expected),
            (25, 25 + 50, 25 + 50),
            "run {run}: every prefix command and every reply of this run, and nothing of an earlier one"
        );
        assert_eq!(report.unmatched_replies, 0, "run {run}: no earlier run's replies are counted");
    }
}
