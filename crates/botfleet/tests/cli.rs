//! The `botfleet` binary as an operator meets it: `--help`, `migrate`, and `serve` with defaults
//! that just work (SQLite file and key file created on first run), stopped cleanly by SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[path = "common/process.rs"]
mod process;

use std::time::Duration;

fn botfleet() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"));
    cmd.env_remove("BOTFLEET_DATABASE_URL").env_remove("BOTFLEET_SECRET_KEY").env_remove("RUST_LOG");
    cmd
}

#[tokio::test]
async fn help_names_every_setting_and_its_environment_variable() {
    let out = botfleet().args(["serve", "--help"]).output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for var in [
        "BOTFLEET_DATA_DIR",
        "BOTFLEET_DATABASE_URL",
        "BOTFLEET_LISTEN",
        "BOTFLEET_DISCORD_API_URL",
        "BOTFLEET_SECRET_KEY",
        "BOTFLEET_LOG_FORMAT",
        "BOTFLEET_TLS_CERT",
        "BOTFLEET_TLS_KEY",
        "BOTFLEET_TRUSTED_PROXIES",
        "BOTFLEET_PUBLIC_ORIGIN",
        "BOTFLEET_SESSION_IDLE_MINUTES",
        "BOTFLEET_SESSION_LIFETIME_HOURS",
        "BOTFLEET_RATE_LIMIT_PER_MINUTE",
        "BOTFLEET_BOT_OPS_PER_MINUTE",
        "BOTFLEET_LOGIN_ATTEMPTS_PER_MINUTE",
        "BOTFLEET_LOCKOUT_THRESHOLD",
        "BOTFLEET_LOCKOUT_SECONDS",
        "BOTFLEET_AUDIT_RETENTION_DAYS",
        "BOTFLEET_RETENTION_COMMAND_LOGS_DAYS",
        "BOTFLEET_RETENTION_BOT_LOGS_DAYS",
        "BOTFLEET_RETENTION_PERFORMANCE_DAYS",
        "BOTFLEET_RETENTION_ALERT_HISTORY_DAYS",
        "BOTFLEET_METRICS_INTERVAL_SECONDS",
        "BOTFLEET_EXPORT_MAX_KIB",
        "BOTFLEET_EXPORT_TTL_HOURS",
        "DISCORD_WEBSOCKET_ENABLED",
        "BOTFLEET_WORKER_THREADS",
    ] {
        assert!(text.contains(var), "serve --help lacks {var}:\n{text}");
    }
    let top = botfleet().arg("--help").output().await.unwrap();
    let top = String::from_utf8_lossy(&top.stdout);
    assert!(top.contains("serve") && top.contains("migrate") && top.contains("user") && top.contains("key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_admin_is_made_on_the_command_line_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "a passphrase for the owner\n").unwrap();
    let add = |extra: &[&str]| {
        let mut cmd = botfleet();
        cmd.args(["user", "add", "--username", "Owner", "--role", "admin", "--password-file"])
            .arg(&file)
            .args(extra)
            .env("BOTFLEET_DATA_DIR", dir.path());
        cmd
    };
    let out = add(&[]).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("user owner (admin) is ready"));
    // Again: the name is taken (a clear error); --reset sets the password instead.
    let out = add(&[]).output().await.unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    std::fs::write(&file, "tiny-pw\n").unwrap();
    let out = add(&["--reset"]).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("password: must be at least 10 characters"), "{err}");
    assert!(!err.contains("tiny-pw"), "the password is not echoed");
    std::fs::write(&file, "the owner's new passphrase\n").unwrap();
    assert!(add(&["--reset"]).output().await.unwrap().status.success());

    let (mut child, api) = process::serve(dir.path(), &[]).await;
    let res = reqwest::Client::new()
        .post(format!("{api}/auth/login"))
        .json(&serde_json::json!({"username": "owner", "password": "the owner's new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let me: serde_json::Value = reqwest::Client::new()
        .get(format!("{api}/auth/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((me["name"].as_str(), me["role"].as_str()), (Some("owner"), Some("admin")));
    // An API key made on the command line works too, and its creation is audited.
    let key = process::admin_key(dir.path()).await;
    let audit: serde_json::Value = process::client(&key)
        .get(format!("{api}/audit-logs?action=api_key.created"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");

    // Five failed sign-ins lock the owner out; `botfleet user unlock` lifts it, the server running.
    let login = |password: &'static str| {
        reqwest::Client::new()
            .post(format!("{api}/auth/login"))
            .json(&serde_json::json!({"username": "owner", "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(login("not the owner's passphrase").await.unwrap().status(), 401);
    }
    assert_eq!(login("the owner's new passphrase").await.unwrap().status(), 429, "locked");
    let unlock = |name: &str| {
        let mut cmd = botfleet();
        cmd.args(["user", "unlock", "--username", name]).env("BOTFLEET_DATA_DIR", dir.path());
        cmd
    };
    let out = unlock("Owner").output().await.unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("user owner was locked until"), "{said}");
    assert_eq!(login("the owner's new passphrase").await.unwrap().status(), 200, "unlocked");
    let out = unlock("nobody").output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("nobody"), "{err}");
    let audit: serde_json::Value = process::client(&key)
        .get(format!("{api}/audit-logs?action=login.unlocked"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["items"][0]["actor_type"].as_str(), Some("system"), "{audit}");
    process::sigterm(&child);
    assert!(child.wait().await.unwrap().success());
}

#[tokio::test]
async fn migrate_then_serve_then_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet().arg("migrate").env("BOTFLEET_DATA_DIR", dir.path()).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("botfleet.db").exists());

    let (mut child, api) = process::serve(dir.path(), &[]).await;
    let health: serde_json::Value = reqwest::get(format!("{api}/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    assert!(dir.path().join("secret.key").exists(), "the token key is created on first run");
    process::sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

/// An explicit `--database-url sqlite://…` whose file (and directory) does not exist yet is
/// created, as the default one is, without `?mode=rwc`; relative and absolute forms alike.
#[tokio::test]
async fn an_explicit_sqlite_url_to_a_new_file_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let absolute = dir.path().join("new").join("shop.db");
    for (url, file) in [
        (format!("sqlite://{}", absolute.display()), absolute.clone()),
        ("sqlite:relative/shop.db".to_owned(), dir.path().join("relative").join("shop.db")),
    ] {
        assert!(!file.exists());
        let out = botfleet()
            .args(["migrate", "--database-url", &url])
            .env("BOTFLEET_DATA_DIR", dir.path())
            .current_dir(dir.path())
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{url}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(file.exists(), "{url} made {}", file.display());
    }
    let (mut child, api) =
        process::serve(dir.path(), &[("BOTFLEET_DATABASE_URL", &format!("sqlite://{}", absolute.display()))]).await;
    let health: serde_json::Value = reqwest::get(format!("{api}/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");
    process::sigterm(&child);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status}");
}

/// `BOTFLEET_WORKER_THREADS` sets how many threads run botfleet's tasks (the runtime's own count,
/// in the start-up line); zero is refused.
#[tokio::test]
async fn the_runtime_runs_on_the_threads_asked_for() {
    for threads in ["1", "3"] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, api, serving) =
            process::serve_with_line(dir.path(), &[("BOTFLEET_WORKER_THREADS", threads)]).await;
        assert!(serving.contains(&format!("worker_threads={threads}")), "{serving}");
        reqwest::get(format!("{api}/health")).await.unwrap().error_for_status().unwrap();
        process::sigterm(&child);
        assert!(child.wait().await.unwrap().success());
    }
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .env("BOTFLEET_WORKER_THREADS", "0")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("--worker-threads"), "{err}");
}

#[tokio::test]
async fn a_bad_setting_is_explained_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0", "--discord-api-url", "ftp://nope"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("BOTFLEET_DISCORD_API_URL must start with http:// or https://")
    );
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0", "--secret-key", "too-short"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("BOTFLEET_SECRET_KEY must be 32 bytes"), "{err}");
    assert!(!err.contains("too-short"), "the key is not echoed");
    let out = botfleet()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("BOTFLEET_DATA_DIR", dir.path())
        .env("BOTFLEET_RETENTION_BOT_LOGS_DAYS", "5000")
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("from 1 to 3650 (0: keep forever)"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_moves_between_installations_on_the_command_line() {
    use botfleet::bots::model::{validate_create, CreateBot};
    let (from, to) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The first installation: a bot and a product, saved through the library.
    let store = botfleet::store::Store::connect(&botfleet::store::default_url(from.path())).await.unwrap();
    store.migrate().await.unwrap();
    let cipher = botfleet::secrets::TokenCipher::load(None, from.path()).unwrap();
    let token = "MTQzNjk5ODQ5NzAzNTQ0NjQwMA.GhJk3a.clitokenabcdefghijklmnopqrstuvwxyz0123";
    let bot: CreateBot = serde_json::from_value(serde_json::json!({"name": "Shop", "token": token})).unwrap();
    let (settings, token_value) = validate_create(bot).unwrap();
    botfleet::bots::repo::insert(&store, &cipher, &settings, &token_value).await.unwrap();
    let tee: botfleet::stock::model::NewProduct = serde_json::from_value(
        serde_json::json!({"sku": "TEE", "name": "Tee", "price_minor": 1500, "currency": "EUR", "stock": 3}),
    )
    .unwrap();
    botfleet::stock::repo::insert(store.pool(), &tee, 0).await.unwrap();
    store.close().await;

    let pass = from.path().join("pass");
    std::fs::write(&pass, "a long export passphrase\n").unwrap();
    let file = from.path().join("config.json");
    let out = botfleet()
        .args(["export", "--out"])
        .arg(&file)
        .arg("--passphrase-file")
        .arg(&pass)
        .env("BOTFLEET_DATA_DIR", from.path())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"format\": \"botfleet-config\"") && !text.contains(token), "sealed, not shown");

    let import = |extra: &[&str], passphrase: &std::path::Path| {
        let mut cmd = botfleet();
        cmd.arg("import")
            .arg(&file)
            .args(extra)
            .arg("--passphrase-file")
            .arg(passphrase)
            .env("BOTFLEET_DATA_DIR", to.path());
        cmd
    };
    let wrong = from.path().join("wrong");
    std::fs::write(&wrong, "not the export passphrase\n").unwrap();
    let out = import(&[], &wrong).output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("passphrase"), "{err}");

    let out = import(&["--dry-run"], &pass).output().await.unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("+ Shop (new)") && printed.contains("+ TEE (new)"), "{printed}");
    assert!(printed.contains("dry run, nothing changed"), "{printed}");

    let out = import(&[], &pass).output().await.unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && printed.contains("(imported)"), "{printed}");
    let store = botfleet::store::Store::connect(&botfleet::store::default_url(to.path())).await.unwrap();
    let cipher = botfleet::secrets::TokenCipher::load(None, to.path()).unwrap();
    let bots = botfleet::bots::repo::names(&store).await.unwrap();
    assert_eq!(bots.len(), 1);
    assert_eq!(botfleet::bots::repo::token(&store, &cipher, bots[0].0).await.unwrap().expose(), token);
    assert_eq!(botfleet::stock::repo::list(&store, false).await.unwrap()[0].sku, "TEE");
    let query = botfleet::audit::AuditQuery { action: Some("config.import".into()), ..Default::default() };
    assert_eq!(botfleet::audit::list(&store, &query).await.unwrap().items.len(), 1, "the import is audited");
}
