//! Security settings an admin changes at run time (kept in the `settings` table).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::store::Store;

/// The security settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Admins must have two-factor enrolled; until they do, they can only enrol it.
    pub require_totp_for_admins: bool,
    /// API keys holding an admin-only permission (users, keys, security settings) work only when
    /// the user who created them has two-factor enrolled: keys made on the command line or by
    /// another key, or whose creator has none, are refused (403 `totp_required`). Off by default:
    /// two-factor for admins alone does not restrict admin keys.
    #[serde(default)]
    pub require_totp_for_admin_keys: bool,
}

/// Reads the settings (defaults when never set).
pub async fn load(store: &Store) -> Result<SecuritySettings> {
    let row = sqlx::query("SELECT value FROM settings WHERE name = 'security'").fetch_optional(store.pool()).await?;
    match row {
        Some(r) => serde_json::from_str(&r.try_get::<String, _>("value")?).map_err(|e| {
            Error::Unreadable(format!("the stored security settings cannot be read ({e}); save them again"))
        }),
        None => Ok(SecuritySettings::default()),
    }
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
