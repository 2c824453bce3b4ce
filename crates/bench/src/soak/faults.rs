//! The faults the soak applies, one window each, and what each does to the emulator, the database
//! proxy or the botfleet process.

use std::time::Duration;

use discord_emulator::{FaultAction, FaultSpec, RouteMatch, Scope};

/// A kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every bot's connection dropped without a close frame, then again every 2–10 s.
    Drop,
    /// op 7 Reconnect to every bot.
    Op7,
    /// op 9 Invalid Session `d: true`: reconnect and resume.
    Op9Resumable,
    /// op 9 Invalid Session `d: false`: the session is over; identify anew.
    Op9NotResumable,
    /// 429s (user scope, 1 s retry-after) on the reply route for half the window.
    Rest429,
    /// REST answers 400–1,200 ms late for half the window.
    RestLatency,
    /// The database refuses and cuts connections for half the window.
    DbOutage,
    /// SIGTERM to botfleet, then start it again.
    Sigterm,
    /// SIGKILL to botfleet, then start it again.
    Kill9,
}

impl Fault {
    /// Every fault, in the order `all` runs them.
    pub const ALL: [Fault; 9] = [
        Fault::Drop,
        Fault::Op7,
        Fault::Op9Resumable,
        Fault::Op9NotResumable,
        Fault::Rest429,
        Fault::RestLatency,
        Fault::DbOutage,
        Fault::Sigterm,
        Fault::Kill9,
    ];

    /// Its name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Drop => "drop",
            Self::Op7 => "op7",
            Self::Op9Resumable => "op9_resumable",
            Self::Op9NotResumable => "op9_not_resumable",
            Self::Rest429 => "rest_429",
            Self::RestLatency => "rest_latency",
            Self::DbOutage => "db_outage",
            Self::Sigterm => "sigterm",
            Self::Kill9 => "kill9",
        }
    }

    /// `all`, or a comma-separated list of names.
    pub fn parse_list(text: &str) -> Result<Vec<Fault>, String> {
        if text.trim() == "all" {
            return Ok(Self::ALL.to_vec());
        }
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                Self::ALL.iter().copied().find(|f| f.name() == name).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                    format!("unknown fault {name:?}; known: all, {}", names.join(", "))
                })
            })
            .collect()
    }

    /// Whether the bots' gateway sessions must resume or identify afterwards (so the soak waits for
    /// every bot to be connected again and times it).
    pub fn reconnects(self) -> bool {
        matches!(
            self,
            Self::Drop | Self::Op7 | Self::Op9Resumable | Self::Op9NotResumable | Self::Sigterm | Self::Kill9
        )
    }

    /// What to inject into the emulator at the start of the window (`held`: how long a rule lasts).
    pub fn emulator_faults(self, held: Duration) -> Vec<FaultSpec> {
        let ms = u64::try_from(held.as_millis()).unwrap_or(u64::MAX);
        let reply_route = RouteMatch::new("POST", "/channels/{channel_id}/messages");
        match self {
            Self::Drop => vec![
                FaultSpec::now(FaultAction::Drop),
                FaultSpec::now(FaultAction::Drop).every(Duration::from_secs(6), Duration::from_secs(4), None),
            ],
            Self::Op7 => vec![FaultSpec::now(FaultAction::Reconnect)],
            Self::Op9Resumable => vec![FaultSpec::now(FaultAction::InvalidSession { resumable: true })],
            Self::Op9NotResumable => vec![FaultSpec::now(FaultAction::InvalidSession { resumable: false })],
            // Discord rate-limits the reply route per bucket; interaction callbacks have no such
            // bucket, so a storm there would only show the 3 s rule, not a 429 storm.
            Self::Rest429 => vec![FaultSpec::now(FaultAction::RestRateLimit {
                scope: Scope::User,
                retry_after_ms: 1000,
                route: Some(reply_route),
                times: None,
                for_ms: Some(ms),
            })],
            // Late but inside the 3 s an interaction callback has.
            Self::RestLatency => {
                vec![FaultSpec::now(FaultAction::RestLatency {
                    ms: 800,
                    jitter_ms: 400,
                    route: None,
                    for_ms: Some(ms),
                })]
            }
            Self::DbOutage | Self::Sigterm | Self::Kill9 => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_by_name_and_all_is_every_fault() {
        assert_eq!(Fault::parse_list("all").unwrap().len(), 9);
        assert_eq!(Fault::parse_list("kill9, drop").unwrap(), vec![Fault::Kill9, Fault::Drop]);
        assert!(Fault::parse_list("flood").unwrap_err().contains("op9_not_resumable"));
    }
}
