//! Shared set-up for the emulator's integration tests: a running emulator with a small world,
//! and a condition-waiting helper (no fixed sleeps).

#![allow(dead_code)]

use std::time::Duration;

use discord_emulator::{ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig};

/// An emulator with one bot in one guild (channel `general`) and one user, `alice`.
pub struct World {
    pub emulator: Emulator,
    pub app: ApplicationInfo,
    pub guild: u64,
    pub general: u64,
    pub alice: u64,
}

impl World {
    pub async fn start() -> Self {
        Self::with(EmulatorConfig::fast(), ApplicationSpec::default()).await
    }

    pub async fn with(config: EmulatorConfig, spec: ApplicationSpec) -> Self {
        install_crypto();
        let emulator = Emulator::start(config).await.expect("emulator starts");
        let app = emulator.create_application(ApplicationSpec { name: "Test Bot".into(), ..spec }).unwrap();
        let alice = emulator.create_user("alice").unwrap();
        let guild = emulator.create_guild("Test Shop", alice).unwrap();
        let general = emulator.create_channel(guild, "general").unwrap();
        emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();
        Self { emulator, app, guild, general, alice }
    }

    /// A second application in the same guild.
    pub fn another_bot(&self, spec: ApplicationSpec) -> ApplicationInfo {
        let app = self.emulator.create_application(spec).unwrap();
        self.emulator.add_member(self.guild, app.bot_user_id, vec![]).unwrap();
        app
    }
}

/// twilight's TLS stack needs one process-wide rustls provider (several are compiled in).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Waits until `check` returns `Some`, polling every 20 ms, failing after `secs` seconds.
pub async fn wait_for<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
