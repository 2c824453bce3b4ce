//! Security settings an admin changes at run time (kept in the `settings` table).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::error::Result;
use crate::store::Store;

/// The security settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Admins must have two-factor enrolled; until they do, they can only enrol it.
    pub require_totp_for_admins: bool,
}

/// Reads the settings (defaults when never set).
pub async fn load(store: &Store) -> Result<SecuritySettings> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'security'").fetch_optional(store.pool()).await?;
    Ok(match row {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("value")?).unwrap_or_default(),
        None => SecuritySettings::default(),
    })
}

/// Saves the settings.
pub async fn save(store: &Store, settings: &SecuritySettings) -> Result<()> {
    let value = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
    let mut tx = store.pool().begin().await?;
    sqlx::query("DELETE FROM settings WHERE name = 'security'").execute(&mut *tx).await?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('security', $1)").bind(value).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
