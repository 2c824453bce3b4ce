//! `botfleet rotate-secret-key`: every secret botfleet stores sealed (bot tokens, two-factor
//! secrets, alert channel URLs and signing secrets) is opened with the current key and sealed with
//! a new one in one transaction, so the database is never half old, half new. Run it with botfleet
//! stopped (every node): a running process keeps sealing with the key it started with.
//!
//! The new key is written before the transaction commits and put in place after: with the key
//! file of the data directory, `secret.key.new` becomes `secret.key` and the old key is kept as
//! `secret.key.old` (it still opens database backups taken before the rotation); with a key given
//! by `BOTFLEET_SECRET_KEY(_FILE)`, the new key goes to the file `--new-key-file` names, for the
//! operator to deploy.

use std::path::{Path, PathBuf};

use crate::config::{SecretKeyConfig, StorageConfig};
use crate::error::{Error, Result};
use crate::secrets::{write_private, TokenCipher};
use crate::store::{self, Store};

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Values re-sealed, by `table.column`.
    pub resealed: Vec<(String, u64)>,
    /// Where the new key is now.
    pub new_key_at: PathBuf,
    /// Where the old key was kept (the data directory's key file only).
    pub old_key_at: Option<PathBuf>,
}

/// Every sealed column, by the module that owns it.
fn sealed_columns() -> Vec<(&'static str, &'static str)> {
    [
        crate::bots::repo::SEALED_COLUMNS,
        crate::auth::users::SEALED_COLUMNS,
        crate::alerts::repo::SEALED_COLUMNS,
        crate::webhooks::repo::SEALED_COLUMNS,
    ]
    .concat()
}

/// Re-seals every stored secret under a new key (see the module doc).
pub async fn rotate(storage: &StorageConfig, key: &SecretKeyConfig, new_key_file: Option<&Path>) -> Result<Rotation> {
    let key_file = TokenCipher::key_file(&storage.data_dir);
    let (old, staged) =
        match (key.key(), new_key_file) {
            (Some(configured), Some(target)) => {
                (TokenCipher::load(Some(configured), &storage.data_dir)?, target.to_path_buf())
            }
            (Some(_), None) => return Err(Error::Config(
                "the current key comes from BOTFLEET_SECRET_KEY (or its _FILE): give --new-key-file PATH for the new \
                 key, then deploy it in its place"
                    .into(),
            )),
            (None, target) => {
                if !key_file.exists() {
                    return Err(Error::Config(format!(
                        "no key to rotate: {} does not exist and BOTFLEET_SECRET_KEY is not set",
                        key_file.display()
                    )));
                }
                let staged = target.map_or_else(|| key_file.with_extension("key.new"), Path::to_path_buf);
                (TokenCipher::load(None, &storage.data_dir)?, staged)
            }
        };
    let (new_key, new) = TokenCipher::generate();
    write_private(&staged, new_key.expose())?;
    let store = Store::connect(&storage.url()).await?;
    store.migrate().await?;
    let resealed = match reseal_all(&store, &old, &new).await {
        Ok(resealed) => resealed,
        Err(e) => {
            // Nothing changed in the database: the staged key is useless.
            let _ = std::fs::remove_file(&staged);
            store.close().await;
            return Err(e);
        }
    };
    store.close().await;
    if key.key().is_some() || new_key_file.is_some() {
        return Ok(Rotation { resealed, new_key_at: staged, old_key_at: None });
    }
    let kept = key_file.with_extension("key.old");
    let moved = std::fs::rename(&key_file, &kept).and_then(|()| std::fs::rename(&staged, &key_file));
    moved.map_err(|e| {
        Error::Config(format!(
            "the secrets are sealed with the new key, but putting it in place failed ({e}): move {} to {} by hand",
            staged.display(),
            key_file.display()
        ))
    })?;
    Ok(Rotation { resealed, new_key_at: key_file, old_key_at: Some(kept) })
}

/// Opens every sealed value with `old` and seals it with `new`, in one transaction.
async fn reseal_all(store: &Store, old: &TokenCipher, new: &TokenCipher) -> Result<Vec<(String, u64)>> {
    let mut tx = store.pool().begin().await?;
    let mut resealed = Vec::new();
    for (table, column) in sealed_columns() {
        let n = store::reseal_column(&mut tx, table, column, |sealed| {
            old.reseal(sealed, new).map_err(|e| match e {
                Error::Decrypt => Error::Config(format!(
                    "a value in {table}.{column} does not open with the current key: is it the key this database \
                     was sealed with? Nothing was changed"
                )),
                other => other,
            })
        })
        .await?;
        resealed.push((format!("{table}.{column}"), n));
    }
    tx.commit().await?;
    Ok(resealed)
}
