//! `/status` as HTML: one server-rendered page, readable without JavaScript (there is none), its
//! CSS inline (allowed by its hash in the page's Content-Security-Policy), every colour doubled by
//! words — each bot's state in text, each bar's share in its text — and every text escaped.

use std::fmt::Write as _;
use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::model::{Bar, PublicIncident, PublicState, PublicStatus, Window};

/// The page's only style sheet.
const STYLE: &str = "\
body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f7f9;color:#1d2430}\
main{max-width:960px;margin:0 auto;padding:24px 16px}\
h1{font-size:1.6rem;margin:0 0 12px}h2{font-size:1.2rem;margin:28px 0 8px}h3{font-size:1.05rem;margin:0}\
.fleet{padding:14px 16px;border-radius:8px;font-weight:600;color:#fff}\
.fleet.up{background:#1f7a3f}.fleet.degraded{background:#9a5b00}.fleet.down{background:#b3261e}.fleet.paused{background:#4b5563}\
.bot{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 16px;margin:12px 0}\
.head{display:flex;justify-content:space-between;gap:8px;flex-wrap:wrap}\
.state{font-weight:600}.state.up{color:#1f7a3f}.state.degraded{color:#9a5b00}.state.down{color:#b3261e}.state.paused{color:#4b5563}\
.window{margin-top:10px}.window p{margin:0;font-size:.9rem;color:#4b5563}\
ol.bars{display:flex;gap:2px;list-style:none;margin:4px 0 0;padding:0;height:28px}\
ol.bars li{flex:1;border-radius:2px;min-width:2px}\
li.up{background:#2e9e57}li.partial{background:#e0a100}li.down{background:#d93025}li.none{background:#cfd4dc}\
.vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}\
ul.incidents{padding-left:20px}footer{margin-top:32px;font-size:.85rem;color:#4b5563}\
@media (prefers-color-scheme:dark){body{background:#111418;color:#e6e9ee}.bot{background:#1a1f26;border-color:#2c333d}\
.window p,footer{color:#aab2bd}li.none{background:#3a424d}}";

/// The page's Content-Security-Policy: no script at all, its one style sheet by hash, nothing
/// loaded from anywhere, no framing.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; img-src 'none'; script-src 'none'; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
    })
}

/// Escapes text for HTML content and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-04T20:00:00Z` as `2026-12-04 20:00 UTC` (what the JSON says, shorter).
fn when(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// A share as a percentage with up to three decimals (`99.95%`), or "no data".
fn percent(share: Option<f64>) -> String {
    match share {
        None => "no data".to_owned(),
        Some(s) => {
            let p = format!("{:.3}", s * 100.0);
            let p = p.trim_end_matches('0').trim_end_matches('.');
            format!("{p}%")
        }
    }
}

/// A bar's class: all up, some downtime, mostly down, or no data.
fn bar_class(share: Option<f64>) -> &'static str {
    match share {
        None => "none",
        Some(s) if s >= 0.999 => "up",
        Some(s) if s >= 0.9 => "partial",
        Some(_) => "down",
    }
}

fn bars(out: &mut String, name: &str, what: &str, window: &Window, hourly: bool) {
    let _ = write!(
        out,
        "<div class=\"window\"><p>{name}: <span class=\"share\">{}</span> uptime</p>\
         <ol class=\"bars\" aria-label=\"{what}\">",
        percent(window.uptime)
    );
    for Bar { start, uptime } in &window.bars {
        let label = if hourly { when(start) } else { start.get(..10).unwrap_or(start).to_owned() };
        let text = format!("{label}: {}", percent(*uptime));
        let _ = write!(
            out,
            "<li class=\"{}\" title=\"{}\"><span class=\"vh\">{}</span></li>",
            bar_class(*uptime),
            escape(&text),
            escape(&text)
        );
    }
    out.push_str("</ol></div>");
}

fn incidents(out: &mut String, list: &[PublicIncident], empty: &str) {
    if list.is_empty() {
        let _ = write!(out, "<p>{empty}</p>");
        return;
    }
    out.push_str("<ul class=\"incidents\">");
    for i in list {
        let _ = write!(out, "<li><strong>{}</strong> — since {}", escape(&i.title), when(&i.started_at));
        if let Some(end) = &i.resolved_at {
            let _ = write!(out, ", resolved {}", when(end));
        }
        out.push_str("</li>");
    }
    out.push_str("</ul>");
}

/// The whole page.
pub fn html(status: &PublicStatus) -> String {
    let title = escape(&status.title);
    let mut out = String::with_capacity(8_192 + status.bots.len() * 12_288);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><main>\
         <h1>{title}</h1><p class=\"fleet {}\" role=\"status\">{}</p>",
        status.state.as_str(),
        status.state.fleet_words()
    );
    out.push_str("<h2>Services</h2>");
    if status.bots.is_empty() {
        out.push_str("<p>No services are listed yet.</p>");
    }
    for bot in &status.bots {
        let state = bot.state;
        let _ = write!(
            out,
            "<section class=\"bot\"><div class=\"head\"><h3>{}</h3><span class=\"state {}\">{}</span></div>",
            escape(&bot.label),
            state.as_str(),
            state_words(state)
        );
        bars(&mut out, "Last 24 hours", "Uptime by hour, last 24 hours", &bot.uptime.day, true);
        bars(&mut out, "Last 7 days", "Uptime by 6 hours, last 7 days", &bot.uptime.week, true);
        bars(&mut out, "Last 90 days", "Uptime by day, last 90 days", &bot.uptime.quarter, false);
        out.push_str("</section>");
    }
    out.push_str("<h2>Current incidents</h2>");
    incidents(&mut out, &status.incidents.current, "No current incidents.");
    out.push_str("<h2>Past incidents (7 days)</h2>");
    incidents(&mut out, &status.incidents.recent, "No incidents in the last 7 days.");
    let _ = write!(
        out,
        "<footer><p>Updated {} (every 30 seconds at most). Bars: green all up, amber some downtime, red mostly \
         down, grey no data. Times are UTC. Also as <a href=\"/status.json\">JSON</a>.</p></footer>\
         </main></body></html>",
        when(&status.generated_at)
    );
    out
}

/// A bot's state with a sign, so that it reads without colour.
fn state_words(state: PublicState) -> String {
    let sign = match state {
        PublicState::Up => "✓",
        PublicState::Degraded => "!",
        PublicState::Down => "✕",
        PublicState::Paused => "‖",
    };
    format!("{sign} {}", state.words())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_escaped_and_shares_read_as_words() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(percent(Some(1.0)), "100%");
        assert_eq!(percent(Some(0.99951)), "99.951%");
        assert_eq!(percent(None), "no data");
        assert_eq!(when("2026-12-04T20:05:00Z"), "2026-12-04 20:05 UTC");
        assert!(content_security_policy().contains("style-src 'sha256-"));
    }
}
