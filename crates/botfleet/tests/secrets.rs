//! Secrets at rest and in configuration: `botfleet rotate-secret-key` re-seals every stored secret
//! under a new key in one transaction (and changes nothing when the current key is wrong); secret
//! options are readable from `*_FILE`; an unknown `BOTFLEET_*` variable is warned about; a new
//! SQLite database file is readable by its owner only.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use botfleet::bots::model::{validate_create, CreateBot};
use botfleet::config::{SecretKeyConfig, StorageConfig};
use botfleet::secrets::{Secret, TokenCipher};
use botfleet::store::Store;

const TOKEN: &str = "MTQzNjk5ODQ5NzAzNTQ0NjQwMA.GxYz12.secretpartabcdefghijklmnopqrstuvwx";

fn storage(dir: &std::path::Path) -> StorageConfig {
    StorageConfig { data_dir: dir.to_path_buf(), database_url: None, database_url_file: None }
}

/// A database with one secret in each sealed column, sealed with the data directory's key.
async fn sealed_world(dir: &std::path::Path) -> (i64, i64) {
    let storage = storage(dir);
    let cipher = TokenCipher::load(None, dir).unwrap();
    let store = Store::connect(&storage.url()).await.unwrap();
    store.migrate().await.unwrap();
    let request = CreateBot {
        name: "Shop".into(),
        token: TOKEN.into(),
        prefix: None,
        intents: None,
        channel_ids: vec![],
        anti_spam: None,
        stock_channel_id: None,
        back_in_stock_channel_id: None,
        low_stock_channel_id: None,
    };
    let (settings, token) = validate_create(request).unwrap();
    let bot = botfleet::bots::repo::insert(&store, &cipher, &settings, &token).await.unwrap();
    let user = botfleet::auth::users::insert(&store, "alice", "not-a-real-hash", botfleet::auth::Role::Admin, 1)
        .await
        .unwrap();
    let totp = cipher.seal(&Secret::new("JBSWY3DPEHPK3PXP")).unwrap();
    botfleet::auth::users::set_pending_totp(&store, user.id, &totp, 2).await.unwrap();
    sqlx::query(
        "INSERT INTO alert_channels (name, kind, url_sealed, url_hint, secret_sealed, created_at, updated_at) \
         VALUES ('Ops', 'http_webhook', $1, 'https://…', $2, 3, 3)",
    )
    .bind(cipher.seal(&Secret::new("https://hooks.example/abc")).unwrap())
    .bind(cipher.seal(&Secret::new("a-very-long-signing-secret")).unwrap())
    .execute(store.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO webhooks (name, kind, url_sealed, url_hint, secret_sealed, events, state, failures_in_a_row, \
         version, created_at, updated_at) VALUES ('Orders', 'http_webhook', $1, 'https://…', $2, '[\"stock\"]', \
         'active', 0, 1, 4, 4)",
    )
    .bind(cipher.seal(&Secret::new("https://orders.example/hook")).unwrap())
    .bind(cipher.seal(&Secret::new("another-long-signing-secret")).unwrap())
    .execute(store.pool())
    .await
    .unwrap();
    store.close().await;
    (bot.id, user.id)
}

async fn opened(dir: &std::path::Path, cipher: &TokenCipher, bot: i64) -> Result<Vec<String>, botfleet::Error> {
    let store = Store::connect(&storage(dir).url()).await.unwrap();
    let token = botfleet::bots::repo::token(&store, cipher, bot).await;
    let others: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT totp_secret FROM users UNION ALL SELECT url_sealed FROM alert_channels \
         UNION ALL SELECT secret_sealed FROM alert_channels UNION ALL SELECT url_sealed FROM webhooks \
         UNION ALL SELECT secret_sealed FROM webhooks",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    store.close().await;
    let mut out = vec![token?.expose().to_owned()];
    for (sealed,) in others {
        out.push(cipher.open(&sealed.unwrap())?.expose().to_owned());
    }
    Ok(out)
}

#[tokio::test]
async fn rotation_reseals_every_secret_and_keeps_the_old_key_for_backups() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, _) = sealed_world(dir.path()).await;
    let old = TokenCipher::load(None, dir.path()).unwrap();
    let before = opened(dir.path(), &old, bot).await.unwrap();
    assert_eq!(before.len(), 6);

    let done = botfleet::rekey::rotate(&storage(dir.path()), &SecretKeyConfig::default(), None).await.unwrap();
    let counts: Vec<u64> = done.resealed.iter().map(|(_, n)| *n).collect();
    assert_eq!(counts, [1, 1, 1, 1, 1, 1], "{:?}", done.resealed);
    assert_eq!(done.new_key_at, dir.path().join("secret.key"));
    assert_eq!(done.old_key_at.as_deref(), Some(dir.path().join("secret.key.old").as_path()));

    let new = TokenCipher::load(None, dir.path()).unwrap();
    assert_eq!(opened(dir.path(), &new, bot).await.unwrap(), before, "the same secrets, under the new key");
    assert!(opened(dir.path(), &old, bot).await.is_err(), "the old key no longer opens them");
    let kept = std::fs::read_to_string(dir.path().join("secret.key.old")).unwrap();
    let kept = TokenCipher::load(Some(&Secret::new(kept.trim())), dir.path()).unwrap();
    assert!(opened(dir.path(), &kept, bot).await.is_err(), "kept for backups taken before the rotation");
}

#[tokio::test]
async fn rotation_with_the_wrong_key_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (bot, _) = sealed_world(dir.path()).await;
    let right = TokenCipher::load(None, dir.path()).unwrap();
    let (wrong, _) = TokenCipher::generate();
    let key = SecretKeyConfig { secret_key: Some(wrong), secret_key_file: None };
    let target = dir.path().join("deploy.key");
    let e = botfleet::rekey::rotate(&storage(dir.path()), &key, Some(&target)).await.unwrap_err();
    assert!(e.to_string().contains("does not open with the current key"), "{e}");
    assert!(!target.exists(), "the unused new key was removed");
    assert_eq!(opened(dir.path(), &right, bot).await.unwrap()[0], TOKEN, "nothing changed");
    // A configured key without a place for the new one is refused before anything happens.
    let key = SecretKeyConfig { secret_key: Some(Secret::new("x")), secret_key_file: None };
    let e = botfleet::rekey::rotate(&storage(dir.path()), &key, None).await.unwrap_err();
    assert!(e.to_string().contains("--new-key-file"), "{e}");
}

/// `botfleet migrate` with the database URL in a file, a misspelt variable beside it.
#[tokio::test]
async fn secret_options_read_files_and_unknown_variables_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let url_file = dir.path().join("database-url");
    std::fs::write(&url_file, format!("sqlite://{}?mode=rwc\n", db.display())).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"))
        .arg("migrate")
        .env("BOTFLEET_DATABASE_URL_FILE", &url_file)
        .env("BOTFLEET_DATA_DIR", dir.path())
        .env("BOTFLEET_DATABSE_URL", "sqlite://typo.db")
        .env_remove("BOTFLEET_DATABASE_URL")
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.contains("shop.db") && stdout.contains("up to date"), "{stdout}");
    assert!(stderr.contains("BOTFLEET_DATABSE_URL") && stderr.contains("not a botfleet setting"), "{stderr}");
    assert!(!stderr.contains("BOTFLEET_DATABASE_URL_FILE\""), "a known variable is not warned about: {stderr}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a new database file is readable by its owner only");
    }
    // Both the option and its file: refused, saying which.
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_botfleet"))
        .arg("migrate")
        .env("BOTFLEET_DATABASE_URL_FILE", &url_file)
        .env("BOTFLEET_DATABASE_URL", "sqlite://other.db")
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--database-url-file") || stderr.contains("cannot be used with"), "{stderr}");
}
