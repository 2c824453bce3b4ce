//! Building the running service from its configuration: database (migrated), token cipher,
//! Discord client settings — then serving until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use tokio::net::TcpListener;

use crate::api::{self, AppState};
use crate::config::ServeConfig;
use crate::discord::DiscordApi;
use crate::error::Result;
use crate::secrets::TokenCipher;
use crate::store::Store;

/// Everything `serve` needs, ready.
pub async fn build(config: &ServeConfig) -> Result<AppState> {
    let discord = DiscordApi::new(&config.discord_api_url)?;
    let cipher = TokenCipher::load(config.secret_key.as_ref(), &config.storage.data_dir)?;
    let store = Store::connect(&config.storage.url()).await?;
    store.migrate().await?;
    Ok(AppState {
        store,
        cipher,
        discord: Arc::new(discord),
        started: Instant::now(),
    })
}

/// Serves on a bound listener until `shutdown`; closes the database afterwards.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let store = state.store.clone();
    let result = api::serve(listener, state, shutdown).await;
    store.close().await;
    result
}
