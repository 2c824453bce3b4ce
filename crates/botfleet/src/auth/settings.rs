//! Security settings an admin changes at run time (kept in the `settings` table).

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
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
    let mut tx = store.pool().begin().await?;
    save_in(&mut tx, settings).await?;
    tx.commit().await?;
    Ok(())
}

/// Saves the settings on `conn` (inside the caller's transaction).
pub async fn save_in(conn: &mut AnyConnection, settings: &SecuritySettings) -> Result<()> {
    let value = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
    sqlx::query("DELETE FROM settings WHERE name = 'security'").execute(&mut *conn).await?;
    sqlx::query("INSERT INTO settings (name, value) VALUES ('security', $1)").bind(value).execute(&mut *conn).await?;
    Ok(())
}

/// Reads the settings on `conn` (defaults when never set).
pub async fn load_in(conn: &mut AnyConnection) -> Result<SecuritySettings> {
    let value: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE name = 'security'").fetch_optional(&mut *conn).await?;
    match value {
        Some(v) => serde_json::from_str(&v).map_err(|e| {
            Error::Unreadable(format!("the stored security settings cannot be read ({e}); save them again"))
        }),
        None => Ok(SecuritySettings::default()),
    }
}
