//! The registry of live gateway connections and the commands they take (reconnect, invalidate,
//! close, drop), so the control API, the scripting methods and faults can reach a connection
//! without knowing the gateway that runs it. The gateway registers each connection it serves.

use std::collections::HashMap;

use tokio::sync::mpsc;

/// Something the control API asks a live connection to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnCommand {
    /// Send op 7 Reconnect.
    Reconnect,
    /// Send op 9 Invalid Session (`d` = may resume).
    InvalidSession { resumable: bool },
    /// Send op 1: the client must heartbeat at once.
    RequestHeartbeat,
    /// Close the connection with a code.
    Close(u16),
    /// Drop the TCP connection without a close frame.
    Drop,
    /// Send again the last `n` dispatches this connection already sent (as many as the replay
    /// buffer still holds), with their original sequence numbers: what a client sees when its
    /// session resumes from an older sequence than the one it had reached.
    Redeliver(u64),
}

/// A live connection as the registry sees it.
#[derive(Debug)]
pub struct ConnHandle {
    /// The application once identified or resumed.
    pub app_id: Option<u64>,
    tx: mpsc::Sender<ConnCommand>,
}

/// Every live connection, so the control API can reach them.
#[derive(Debug, Default)]
pub struct Connections {
    map: HashMap<u64, ConnHandle>,
}

impl Connections {
    /// Registers a new connection (not yet identified) and where its commands go.
    pub fn register(&mut self, conn_id: u64, tx: mpsc::Sender<ConnCommand>) {
        self.map.insert(conn_id, ConnHandle { app_id: None, tx });
    }

    /// Notes the application a connection identified or resumed as.
    pub fn set_app(&mut self, conn_id: u64, app_id: u64) {
        if let Some(c) = self.map.get_mut(&conn_id) {
            c.app_id = Some(app_id);
        }
    }

    /// Forgets a connection that ended.
    pub fn remove(&mut self, conn_id: u64) {
        self.map.remove(&conn_id);
    }

    /// Sends a command to every connection of an application; returns how many got it.
    pub fn send_to_app(&self, app_id: Option<u64>, cmd: ConnCommand) -> usize {
        self.map
            .values()
            .filter(|c| app_id.is_none() || c.app_id == app_id)
            .filter(|c| c.tx.try_send(cmd).is_ok())
            .count()
    }

    /// Sends a command to one connection.
    pub fn send_to(&self, conn_id: u64, cmd: ConnCommand) {
        if let Some(c) = self.map.get(&conn_id) {
            let _ = c.tx.try_send(cmd);
        }
    }

    /// Live connections (per application when given).
    pub fn count(&self, app_id: Option<u64>) -> usize {
        self.map.values().filter(|c| app_id.is_none() || c.app_id == app_id).count()
    }
}
