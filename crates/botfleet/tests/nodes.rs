//! The nodes serving one database: `GET /api/v1/nodes` lists this node (up, its address and
//! version, first) and, on PostgreSQL, a second node beside it, then notes its clean stop; on
//! SQLite a second node on the same file is refused at start with a message that says why.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use common::{until, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(this_node_is_listed_up_with_its_address);

async fn nodes(app: &TestApp) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/nodes").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn this_node_is_listed_up_with_its_address(app: TestApp) {
    let listed = nodes(&app).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let node = &listed[0];
    assert_eq!(node["state"], "up");
    assert_eq!(node["this_node"], true);
    assert_eq!(node["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(format!("http://{}", node["address"].as_str().unwrap()), app.url);
    let id = std::fs::read_to_string(app.dir.path().join("node-id")).unwrap();
    assert_eq!(node["id"], id.trim());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_is_listed_and_its_clean_stop_noted() {
    let Some(a) = TestApp::spawn_configured(Backend::Postgres, "http://127.0.0.1:9", |c| c.several_nodes = true).await
    else {
        return;
    };
    let b = a.spawn_beside(|_| {}).await;
    let listed = nodes(&a).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!((listed[0]["this_node"].as_bool(), listed[1]["this_node"].as_bool()), (Some(true), Some(false)));
    assert!(listed.iter().all(|n| n["state"] == "up"), "{listed:?}");
    let b_url = b.url.clone();
    b.stop().await;
    until("node b's clean stop to be noted", 20, || async {
        let listed = nodes(&a).await;
        let b = listed.iter().find(|n| format!("http://{}", n["address"].as_str().unwrap()) == b_url)?;
        (b["state"] == "stopped" && b["stopped_at"].is_i64()).then_some(())
    })
    .await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_one_sqlite_file_is_refused_at_start() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut config = app.config();
    let other = tempfile::tempdir().unwrap();
    config.storage.data_dir = other.path().to_path_buf();
    let refused = botfleet::app::build(&config).await.expect_err("SQLite serves one node");
    let message = refused.to_string();
    assert!(message.contains("another botfleet node already serves the SQLite database"), "{message}");
    assert!(message.contains("use PostgreSQL"), "{message}");
    // The first node is untouched, and once it stops the file can be served again (a restart).
    assert_eq!(nodes(&app).await.len(), 1);
    let app = app.restart().await;
    assert_eq!(nodes(&app).await[0]["state"], "up");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_on_postgres_is_refused_unless_both_run_as_several() {
    let Some(a) = TestApp::spawn(Backend::Postgres).await else { return };
    // A node alone (the default) refuses a second beside it, and one of several refuses it too.
    for several in [false, true] {
        let mut config = a.config();
        let other = tempfile::tempdir().unwrap();
        if a.dir.path().join("secret.key").exists() {
            std::fs::copy(a.dir.path().join("secret.key"), other.path().join("secret.key")).unwrap();
        }
        config.storage.data_dir = other.path().to_path_buf();
        config.several_nodes = several;
        let refused = botfleet::app::build(&config).await.expect_err("refused beside a node alone");
        let message = refused.to_string();
        assert!(message.contains("already serves this database"), "{message}");
        assert!(message.contains("BOTFLEET_SEVERAL_NODES=true"), "{message}");
    }
    assert_eq!(nodes(&a).await.len(), 1, "nothing registered by the refused nodes");
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_on_sqlite_is_refused_at_start() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut config = app.config();
    let other = tempfile::tempdir().unwrap();
    config.storage.data_dir = other.path().to_path_buf();
    config.storage.database_url = Some(format!("sqlite://{}?mode=rwc", other.path().join("other.db").display()));
    config.several_nodes = true;
    let message = botfleet::app::build(&config).await.expect_err("SQLite serves one node").to_string();
    assert!(message.contains("needs PostgreSQL"), "{message}");
    app.stop().await;
}
