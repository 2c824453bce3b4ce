//! The soak anyone can run (`scripts/soak`): botfleet under a schedule of faults, every command
//! accounted for. Prints one JSON document (per fault window and in all) and exits non-zero when a
//! command was lost, answered twice, tracked twice or not tracked in a way Discord's rules do not
//! explain. See docs/benchmarks.md ("Soak") for what each figure means.
//!
//!   scripts/soak --bots 10 --rate 20 --seconds 60 --faults all --json-out soak.json

use std::path::PathBuf;
use std::process::ExitCode;

use bench::soak::faults::Fault;
use bench::soak::{run, Options, Verdict};
use clap::Parser;

/// botfleet under faults: gateway drops, op 7, op 9, REST 429 storms and latency spikes, a
/// database outage, SIGTERM and kill -9 with restarts.
#[derive(Debug, Parser)]
#[command(name = "soak", about)]
struct Cli {
    /// Bots (each its own Discord application and guild).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=5000))]
    bots: u16,
    /// Commands a second, across all bots.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Seconds of sending, split evenly into a calm window and one window per fault.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Share of slash commands (`/ping`), 0 to 100; the rest are prefix commands (`!ping <n>`).
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100))]
    slash_percent: u8,
    /// `all`, or a comma-separated list of: drop, op7, op9_resumable, op9_not_resumable, rest_429,
    /// rest_latency, db_outage, sigterm, kill9 (run in the order given).
    #[arg(long, default_value = "all")]
    faults: String,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !(cli.rate.is_finite() && cli.rate > 0.0 && cli.seconds.is_finite() && cli.seconds > 0.0) {
        eprintln!("soak: --rate and --seconds must be above 0");
        return ExitCode::from(2);
    }
    let faults = match Fault::parse_list(&cli.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("soak: --faults: {e}");
            return ExitCode::from(2);
        }
    };
    let opts = Options {
        bots: usize::from(cli.bots),
        rate: cli.rate,
        seconds: cli.seconds,
        slash_percent: cli.slash_percent,
        faults,
    };
    match run(&opts).await {
        Ok(Verdict::Skipped(why)) => {
            eprintln!("SKIPPED: soak ({why})");
            if std::env::var("BOTFLEET_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Ok(Verdict::Done { report, clean }) => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{text}");
            if let Some(path) = &cli.json_out {
                if let Err(e) = std::fs::write(path, format!("{text}\n")) {
                    eprintln!("soak: could not write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            for w in report["windows"].as_array().into_iter().flatten().chain([&report["total"]]) {
                eprintln!("{}", summary(w));
            }
            eprintln!("soak: {}", report["verdict"].as_str().unwrap_or_default());
            if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// One line per window for the terminal: the fault and what it cost.
fn summary(w: &serde_json::Value) -> String {
    let lost: Vec<String> = w["lost"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
        .map(|(reason, n)| format!("{reason} {n}"))
        .collect();
    let lost = if lost.is_empty() { "none".to_owned() } else { lost.join(", ") };
    format!(
        "  {:<18} sent {:>5}  answered {:>5}  tracked {:>5}  twice {}/{}  lost: {lost}  unexplained {}",
        w["fault"].as_str().unwrap_or("total"),
        n(&w["sent"]["total"]),
        n(&w["answered"]),
        n(&w["tracked"]),
        n(&w["answered_twice"]),
        n(&w["tracked_twice"]),
        n(&w["unexplained"]),
    )
}

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or(0)
}
