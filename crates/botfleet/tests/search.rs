//! Log search on SQLite and PostgreSQL (a fresh database per test): `q` finds what it should and
//! nothing else (substrings, several terms, phrases, exclusion, Unicode, punctuation, `%` and `_`,
//! 200 characters), never answers a 500, reports the bounded scan of short terms and goes on past
//! it, pages stably while rows arrive, and the query plans read the filter and search indexes; on
//! SQLite a search within a filter reads the filter's newest rows first and the FTS table below
//! them, on PostgreSQL every statement is planned with its values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::collections::BTreeSet;

use botfleet::audit::{self, Actor, AuditQuery, Entry};
use botfleet::logs::bot_logs::{self, BotLogQuery, BotLogRecord};
use botfleet::logs::commands::{self, CommandKind, CommandLogQuery, CommandRecord, Outcome};
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    search_finds_what_it_should_and_nothing_else,
    no_search_answers_a_500_whatever_it_holds,
    short_terms_scan_the_newest_rows_say_so_and_go_on_past_them,
    search_pages_stay_stable_while_rows_arrive,
    bot_log_and_audit_searches_use_the_same_syntax,
    query_plans_read_the_filter_and_search_indexes,
    a_search_within_a_busy_filter_finds_every_match_in_order,
);

const T0: i64 = 1_800_000_000_000;

/// A command row labelled by its event id (`n`).
fn row(n: u64, command: &str, arguments: &str, response: &str, user: &str, error: Option<&str>) -> CommandRecord {
    let mut r =
        CommandRecord::new(1 + (n % 3) as i64, CommandKind::Slash, T0 + n as i64 * 1000, command, arguments.into())
            .from(
                n,
                Some(111_111_111_111_111_111 + n % 2),
                222_222_222_222_222_222,
                333_333_333_333_333_333 + n % 5,
                user,
            );
    r.reply(response);
    r.outcome = if error.is_some() { Outcome::Error } else { Outcome::Ok };
    r.error = error.map(str::to_owned);
    r
}

fn long_text() -> String {
    // 200 characters, punctuation and Unicode included.
    let unit = "Zq9-ß%_\\\"é(x)*:^ ";
    let text: String = unit.chars().cycle().take(200).collect();
    assert_eq!(text.chars().count(), 200);
    text
}

async fn seed(app: &TestApp) {
    let long = long_text();
    let rows = vec![
        row(1, "ping", "", "Pong! 42 ms", "alice", None),
        row(2, "stock", "Green Tea 100%", "Green tea: 5 left", "bob", None),
        row(3, "stock", "green_tea", "no such product", "carol", Some("Discord said no")),
        row(4, "order", "café crème", "ordered", "Jürgen", None),
        row(5, "order", "Straße 5", "ordered", "dora", None),
        row(6, "say", "hello 👍 world", "said", "erin", None),
        row(7, "say", "日本語のテキスト", "said", "frank", None),
        row(8, "say", "a phrase with spaces inside", "said", "gina", None),
        row(9, "say", "spaces phrase with a", "said", "hank", None),
        row(10, "say", "back\\slash \"quoted\" NEAR(x) * col:umn ^caret", "said", "ivy", None),
        row(11, "say", &long, "said", "jo", None),
        row(12, "help", "", "the list of commands", "helga", None),
    ];
    commands::insert_batch(&app.store, &rows).await.unwrap();
}

/// The event ids (labels) of every row `q` finds, over all pages, and the search field of the first.
async fn find(app: &TestApp, q: &str) -> (BTreeSet<u64>, Value) {
    let mut found = BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut first = None;
    loop {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/command-logs?limit=3", app.url)).unwrap();
        url.query_pairs_mut().append_pair("q", q);
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let res = app.http.get(url).send().await.unwrap();
        let status = res.status();
        let page: Value = res.json().await.unwrap();
        assert_eq!(status, StatusCode::OK, "q={q:?}: {page}");
        for item in page["items"].as_array().unwrap() {
            assert!(found.insert(item["event_id"].as_str().unwrap().parse().unwrap()), "q={q:?}: a row twice");
        }
        first.get_or_insert_with(|| page["search"].clone());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (found, first.unwrap_or(Value::Null)),
        }
    }
}

async fn search_finds_what_it_should_and_nothing_else(app: TestApp) {
    seed(&app).await;
    let long = long_text();
    let cases: Vec<(&str, &[u64])> = vec![
        // Substrings, case-insensitive (ASCII), in any searched column.
        ("green", &[2, 3]),
        ("GREEN", &[2, 3]),
        ("pong", &[1]),
        ("said no", &[3]), // two terms in one row: "said" and "no" both in row 3's error; "said" alone elsewhere
        ("discord", &[3]),
        ("helga", &[12]),
        ("hel", &[6, 12]),
        // Several terms, all of which must match.
        ("green tea", &[2, 3]),
        ("tea 100", &[2]),
        ("phrase spaces with", &[8, 9]),
        // Phrases.
        ("\"green tea\"", &[2]),
        ("\"a phrase with spaces\"", &[8]),
        ("\"spaces phrase\"", &[9]),
        // Exclusion.
        ("green -100%", &[3]),
        ("say -👍", &[7, 8, 9, 10, 11]),
        ("phrase -\"with spaces\"", &[9]),
        // % and _ are literal.
        ("100%", &[2]),
        ("n_t", &[3]),
        ("%", &[2, 11]),
        ("_", &[3, 11]),
        // Unicode.
        ("café", &[4]),
        ("crème", &[4]),
        ("Straße", &[5]),
        ("ß", &[5, 11]),
        ("👍", &[6]),
        ("日本語", &[7]),
        ("テキスト", &[7]),
        ("Jürgen", &[4]),
        // Punctuation and FTS5 syntax taken literally.
        ("back\\slash", &[10]),
        ("\"\"quoted\"\"", &[]), // the empty phrase, then `quoted""` (the quotes in it are literal)
        ("quoted\"", &[10]),
        ("NEAR(x)", &[10]),
        ("col:umn", &[10]),
        ("^caret", &[10]),
        ("*", &[10, 11]),
        ("OR", &[3, 4, 5, 6]), // Discord, order, ordered, dora, world
        // A 200-character query: the whole of row 11, and one that is nowhere.
        (long.as_str(), &[11]),
    ];
    for (q, want) in cases {
        let (found, _) = find(&app, q).await;
        assert_eq!(found, want.iter().copied().collect::<BTreeSet<_>>(), "q={q:?}");
    }
    let nowhere: String = "nowhere ".chars().cycle().take(200).collect();
    assert_eq!(find(&app, &nowhere).await.0, BTreeSet::new());

    // How each was served: three characters use the index; shorter ones scan, and say so.
    let (_, how) = find(&app, "green").await;
    assert_eq!(how, json!({"mode": "index"}));
    let (_, how) = find(&app, "ß").await;
    assert_eq!((how["mode"].as_str(), how["scanned"].as_i64()), (Some("scan"), Some(12)), "{how}");
    assert!(how["note"].as_str().unwrap().contains("newest 12 rows"), "{how}");
    let (_, how) = find(&app, "-green").await;
    assert_eq!(how["mode"], "scan", "an exclusion alone cannot use the index");
    let (status, plain) = app.get("/api/v1/command-logs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(plain.get("search").is_none(), "no q, no search field: {plain}");
    // Filters still apply with a search.
    let (_, page) = app.get("/api/v1/command-logs?q=green&outcome=error").await;
    let ids: Vec<&str> = page["items"].as_array().unwrap().iter().map(|r| r["event_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["3"]);
}

async fn no_search_answers_a_500_whatever_it_holds(app: TestApp) {
    seed(&app).await;
    let nasty = [
        "\"",
        "\"\"\"",
        "-",
        "--",
        "- \"",
        "'; DROP TABLE discord_command_logs; --",
        "a AND b OR NOT c",
        "NEAR(a b, 2)",
        "col:\"x\" ^y *z",
        "%%%",
        "___",
        "\\\\\\",
        "\\%\\_",
        "{a b}",
        "(((",
        "🙂🙃🙂",
        "ℌ𝔢𝔩𝔩𝔬",
        "\u{202e}rtl",
        "\u{fffd}",
        "x".repeat(500).leak(),
    ];
    for q in nasty.iter().copied().chain([long_text().leak() as &str]) {
        for path in ["/api/v1/command-logs", "/api/v1/bot-logs", "/api/v1/audit-logs"] {
            let mut url = reqwest::Url::parse(&format!("{}{path}", app.url)).unwrap();
            url.query_pairs_mut().append_pair("q", q);
            let res = app.http.get(url).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{path} q={q:?}: {}", res.text().await.unwrap());
        }
    }
    // Too long, or a control character: a field error, not a 500.
    for q in ["x".repeat(501), "a\u{0}b".into(), "tab\there".into()] {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/command-logs", app.url)).unwrap();
        url.query_pairs_mut().append_pair("q", &q);
        let res = app.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "q", "{body}");
    }
}

async fn short_terms_scan_the_newest_rows_say_so_and_go_on_past_them(app: TestApp) {
    // More rows than one scan reads: the short term is in the oldest and the newest rows only.
    let n = botfleet::logs::search::SCAN_ROWS + 10;
    let lines: Vec<BotLogRecord> = (1..=n)
        .map(|i| BotLogRecord {
            bot_id: 1,
            at: T0 + i,
            level: "info",
            event: "heartbeat".into(),
            message: if i == 5 || i == n - 1 { format!("line {i} ~q") } else { format!("line {i}") },
        })
        .collect();
    for chunk in lines.chunks(20_000) {
        bot_logs::insert_batch(&app.store, chunk).await.unwrap();
    }
    let (status, first) = app.get("/api/v1/bot-logs?q=~q&limit=10").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["search"]["mode"], "scan");
    assert_eq!(first["search"]["scanned"], botfleet::logs::search::SCAN_ROWS, "{}", first["search"]);
    let items: Vec<&str> = first["items"].as_array().unwrap().iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert_eq!(items, [format!("line {} ~q", n - 1)]);
    let cursor = first["next_cursor"].as_str().expect("the scan stopped at its bound: a cursor goes on");
    let (_, second) = app.get(&format!("/api/v1/bot-logs?q=~q&limit=10&cursor={cursor}")).await;
    assert_eq!(second["search"]["scanned"], 10, "{}", second["search"]);
    assert_eq!(second["items"][0]["message"], "line 5 ~q");
    assert!(second["next_cursor"].is_null(), "{second}");
    // An indexable term with it is served by the index over every row.
    let (_, both) = app.get("/api/v1/bot-logs?q=~q%20line&limit=10").await;
    assert_eq!(both["search"], json!({"mode": "index"}));
    assert_eq!(both["items"].as_array().unwrap().len(), 2, "{both}");
}

async fn search_pages_stay_stable_while_rows_arrive(app: TestApp) {
    for q in ["tea", "te"] {
        let rows: Vec<CommandRecord> =
            (0..30).map(|i| row(1000 * (q.len() as u64) + i, "stock", "tea", "", "u", None)).collect();
        commands::insert_batch(&app.store, &rows).await.unwrap();
        let existing: BTreeSet<u64> = rows.iter().map(|r| r.event_id).collect();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut late = 50_000 * q.len() as u64;
        loop {
            let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let (status, page) = app.get(&format!("/api/v1/command-logs?q={q}&command=stock&limit=7{c}")).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["event_id"].as_str().unwrap().parse::<u64>().unwrap()),
            );
            // Rows arrive between pages, matching the search.
            late += 1;
            commands::insert_batch(&app.store, &[row(late, "stock", "more tea", "", "u", None)]).await.unwrap();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let unique: BTreeSet<u64> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len(), "q={q}: no row twice");
        assert!(existing.is_subset(&unique), "q={q}: none skipped among those there when paging began");
    }
}

async fn bot_log_and_audit_searches_use_the_same_syntax(app: TestApp) {
    let lines = [
        ("connected", "session abc resumed"),
        ("failed", "Authentication failed (4004)"),
        ("connected", "session new"),
    ];
    let records: Vec<BotLogRecord> = lines
        .iter()
        .enumerate()
        .map(|(i, (event, message))| BotLogRecord {
            bot_id: 1,
            at: T0 + i as i64,
            level: "info",
            event: (*event).into(),
            message: (*message).into(),
        })
        .collect();
    bot_logs::insert_batch(&app.store, &records).await.unwrap();
    let messages = |page: &Value| -> Vec<String> {
        page["items"].as_array().unwrap().iter().map(|r| r["message"].as_str().unwrap().to_owned()).collect()
    };
    let (_, page) = app.get("/api/v1/bot-logs?q=session%20-resumed").await;
    assert_eq!(messages(&page), ["session new"]);
    let (_, page) = app.get("/api/v1/bot-logs?q=%22failed%20(4004)%22").await;
    assert_eq!(messages(&page), ["Authentication failed (4004)"]);
    let (_, page) = app.get("/api/v1/bot-logs?q=CONNECTED%20abc").await;
    assert_eq!(messages(&page), ["session abc resumed"], "the event is searched too");

    audit::insert(
        &app.store,
        &[
            Entry::action("bots.update", Actor::System, T0).target("bot", 7).detail(json!({"note": "Green Tea"})),
            Entry::action("bots.update", Actor::User { id: 1, name: "Zoë".into() }, T0 + 1).target("bot", 8),
            Entry::security("login.failed", Actor::Anonymous { name: Some("mallory".into()) }, T0 + 2),
        ],
    )
    .await
    .unwrap();
    let actions = |page: &Value| -> Vec<(String, Option<String>)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["action"].as_str().unwrap().to_owned(), r["target_id"].as_str().map(str::to_owned)))
            .collect()
    };
    let (_, page) = app.get("/api/v1/audit-logs?q=bots.update%20%22green%20tea%22").await;
    assert_eq!(actions(&page), [("bots.update".to_owned(), Some("7".to_owned()))]);
    let (_, page) = app.get("/api/v1/audit-logs?q=bots.update%20-green").await;
    assert_eq!(actions(&page), [("bots.update".to_owned(), Some("8".to_owned()))]);
    let (_, page) = app.get("/api/v1/audit-logs?q=Zo%C3%AB").await;
    assert_eq!(actions(&page), [("bots.update".to_owned(), Some("8".to_owned()))], "the actor's name");
    let (_, page) = app.get("/api/v1/audit-logs?q=mallory").await;
    assert_eq!(actions(&page), [("login.failed".to_owned(), None)]);
}

/// Enough rows, of enough bots, guilds, users, channels, commands, outcomes, levels and events,
/// that each filter picks out at most 2% of them (as one of many bots or guilds does in
/// production: with 20% PostgreSQL rightly walks the primary key instead); then statistics, so PostgreSQL's planner
/// weighs what it would weigh in production.
async fn plan_rows(app: &TestApp) {
    let words = ["green tea", "oolong", "matcha", "jasmine", "sencha", "rooibos", "earl grey", "chai"];
    let records: Vec<CommandRecord> = (0..20_000u64)
        .map(|i| {
            let mut r = CommandRecord::new(
                1 + (i % 50) as i64,
                CommandKind::Slash,
                T0 + i as i64 * 1000,
                &format!("cmd{}", i % 100),
                if i == 12_345 { "zanzibar".into() } else { format!("{} {}", words[(i % 7) as usize], i) },
            )
            .from(
                i + 1,
                Some(1_000 + i % 200),
                2_000 + i % 300,
                3_000 + i % 500,
                &format!("user{}", i % 500),
            );
            r.reply("done");
            r.outcome = if i % 100 == 0 { Outcome::Error } else { Outcome::Ok };
            r
        })
        .collect();
    for chunk in records.chunks(5_000) {
        commands::insert_batch(&app.store, chunk).await.unwrap();
    }
    let lines: Vec<BotLogRecord> = (0..20_000i64)
        .map(|i| BotLogRecord {
            bot_id: 1 + i % 50,
            at: T0 + i * 1000,
            level: if i % 100 == 0 { "error" } else { "info" },
            event: format!("event{}", i % 100),
            message: if i == 12_345 { "zanzibar".into() } else { format!("{} {i}", words[(i % 7) as usize]) },
        })
        .collect();
    bot_logs::insert_batch(&app.store, &lines).await.unwrap();
    let entries: Vec<Entry> = (0..2_000i64)
        .map(|i| Entry::action(&format!("act{}.x", i % 20), Actor::System, T0 + i).target("bot", i))
        .collect();
    audit::insert(&app.store, &entries).await.unwrap();
    let analyze = match app.backend {
        common::Backend::Sqlite => "ANALYZE",
        common::Backend::Postgres => {
            "ANALYZE discord_command_logs; ANALYZE discord_bot_logs; ANALYZE discord_audit_logs"
        }
    };
    sqlx::raw_sql(analyze).execute(app.store.pool()).await.unwrap();
}

async fn query_plans_read_the_filter_and_search_indexes(app: TestApp) {
    plan_rows(&app).await;
    let mut conn = app.store.pool().acquire().await.unwrap();
    // A window over most rows (as "the last month" is over most of a month's table): the filter
    // is what narrows, and its index is read with the window checked on its entries.
    let (since, until) = (Some((T0 + 1_000_000).to_string()), Some((T0 + 19_000_000).to_string()));
    let command = |f: &dyn Fn(&mut CommandLogQuery)| {
        let mut q = CommandLogQuery { since: since.clone(), until: until.clone(), ..Default::default() };
        f(&mut q);
        q
    };
    let cases: Vec<(&str, CommandLogQuery, &str)> = vec![
        ("bot", command(&|q| q.bot_id = Some(7)), "discord_command_logs_bot"),
        ("guild", command(&|q| q.guild_id = Some("1007".into())), "discord_command_logs_guild"),
        ("user", command(&|q| q.user_id = Some("3007".into())), "discord_command_logs_user"),
        ("channel", command(&|q| q.channel_id = Some("2007".into())), "discord_command_logs_channel"),
        ("command", command(&|q| q.command = Some("cmd7".into())), "discord_command_logs_command"),
        ("outcome", command(&|q| q.outcome = Some("error".into())), "discord_command_logs_outcome"),
    ];
    for (what, query, index) in &cases {
        let plan = commands::explain(&app.store, &mut conn, query).await.unwrap();
        assert!(plan.contains(index), "{what}: {plan}");
    }
    let search = |q: &str| CommandLogQuery { q: Some(q.into()), ..Default::default() };
    let fts_or_gin = |table: &str| match app.backend {
        common::Backend::Sqlite => "VIRTUAL TABLE INDEX".to_owned(),
        common::Backend::Postgres => format!("{table}_search"),
    };
    // A word within a bot. SQLite: the bot's newest rows, by its index in page order, then the FTS
    // table below them. PostgreSQL: one statement, planned with its values (never a generic plan,
    // which weighs neither the bot nor the word).
    let query = CommandLogQuery { q: Some("zanzibar".into()), bot_id: Some(7), ..Default::default() };
    let plan = commands::explain(&app.store, &mut conn, &query).await.unwrap();
    match app.backend {
        common::Backend::Sqlite => {
            assert!(plan.contains("USING INDEX discord_command_logs_bot (bot_id=? AND id>?)"), "first: {plan}");
            assert!(plan.contains("VIRTUAL TABLE INDEX"), "then: {plan}");
            assert!(!plan.contains("USE TEMP B-TREE"), "the bot's rows are read in page order, not sorted: {plan}");
        }
        common::Backend::Postgres => {
            assert!(!plan.contains("Aggregate"), "no window is read first: {plan}");
            let mode: String = sqlx::query_scalar("SHOW plan_cache_mode").fetch_one(&mut *conn).await.unwrap();
            assert_eq!(mode, "force_custom_plan", "every statement is planned with its values");
        }
    }
    // A rare word (one row of 20,000), alone or with more terms: the trigram index. PostgreSQL
    // estimates 1% for an ILIKE on 20,000 rows and would rather walk the primary key of so small a
    // table: plain index and sequential scans are turned off for the searches, which leaves the
    // GIN index if (and only if) the query's expression is the index's. (The benchmark shows the
    // planner choosing it by itself at a million rows: docs/benchmarks.md.)
    if app.backend == common::Backend::Postgres {
        sqlx::raw_sql("SET enable_seqscan = off; SET enable_indexscan = off").execute(&mut *conn).await.unwrap();
    }
    let plan = commands::explain(&app.store, &mut conn, &search("zanzibar")).await.unwrap();
    assert!(plan.contains(&fts_or_gin("discord_command_logs")), "search: {plan}");
    let plan = commands::explain(&app.store, &mut conn, &search("\"zanzibar\" -matcha ab")).await.unwrap();
    assert!(plan.contains(&fts_or_gin("discord_command_logs")), "search: {plan}");
    if app.backend == common::Backend::Sqlite {
        assert!(!plan.contains("USE TEMP B-TREE"), "the FTS table gives the rows in id order: {plan}");
    }

    let bot = |f: &dyn Fn(&mut BotLogQuery)| {
        let mut q = BotLogQuery { since: since.clone(), until: until.clone(), ..Default::default() };
        f(&mut q);
        q
    };
    for (what, query, index) in [
        ("bot", bot(&|q| q.bot_id = Some(7)), "discord_bot_logs_bot"),
        ("level", bot(&|q| q.level = Some("error".into())), "discord_bot_logs_level"),
        ("event", bot(&|q| q.event = Some("event7".into())), "discord_bot_logs_event"),
    ] {
        let plan = bot_logs::explain(&app.store, &mut conn, &query).await.unwrap();
        assert!(plan.contains(index), "{what}: {plan}");
    }
    let query = BotLogQuery { q: Some("Zanzibar".into()), ..Default::default() };
    let plan = bot_logs::explain(&app.store, &mut conn, &query).await.unwrap();
    assert!(plan.contains(&fts_or_gin("discord_bot_logs")), "bot log search: {plan}");
    let query = AuditQuery { q: Some("act7.x".into()), ..Default::default() };
    let plan = audit::explain(&app.store, &mut conn, &query).await.unwrap();
    assert!(plan.contains(&fts_or_gin("discord_audit_logs")), "audit search: {plan}");
}

/// A bot with more rows than a SQLite search reads one by one ([`search::FILTER_WINDOW`]): its
/// matches among its newest rows, and those below them (found by the FTS table), come in order,
/// page after page, and no other bot's (on PostgreSQL the same rows, by the planner's choice).
async fn a_search_within_a_busy_filter_finds_every_match_in_order(app: TestApp) {
    let window = u64::try_from(botfleet::logs::search::FILTER_WINDOW).unwrap();
    let total = window + 5_000;
    // Bot 1's rows are every other row; "needle" in four of them: two among its newest `window`
    // rows (the oldest of them one), two below them (the newest of those one). Bot 2 has needles
    // everywhere.
    let needles = [2 * 3, 2 * (total - window - 1), 2 * (total - window), 2 * (total - 100)];
    let records: Vec<CommandRecord> = (0..2 * total)
        .map(|i| {
            let bot = 1 + (i % 2) as i64;
            let text = if (bot == 1 && needles.contains(&i)) || (bot == 2 && i % 1_000 == 1) {
                format!("a needle {i}")
            } else {
                format!("hay {i}")
            };
            CommandRecord::new(bot, CommandKind::Slash, T0 + i as i64, "say", text).from(i + 1, None, 2, 3, "u")
        })
        .collect();
    for chunk in records.chunks(10_000) {
        commands::insert_batch(&app.store, chunk).await.unwrap();
    }
    let labels = |page: &Value| -> Vec<u64> {
        page["items"].as_array().unwrap().iter().map(|c| c["event_id"].as_str().unwrap().parse().unwrap()).collect()
    };
    let mut newest_first: Vec<u64> = needles.iter().map(|i| i + 1).collect();
    newest_first.reverse();
    // One page holds all four: two from the window, two from the index below it.
    let (status, page) = app.get("/api/v1/command-logs?bot_id=1&q=needle&limit=50").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(labels(&page), newest_first);
    assert_eq!(page["search"]["mode"], "index");
    assert!(page["next_cursor"].is_null(), "{page}");
    // A page at a time, across the window's edge.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = app.get(&format!("/api/v1/command-logs?bot_id=1&q=needle&limit=1{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(labels(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
        assert!(seen.len() <= newest_first.len(), "{seen:?}");
    }
    assert_eq!(seen, newest_first);
    // With an exclusion and a second term the same rows, and a word no row of the bot has none.
    let (_, page) = app.get("/api/v1/command-logs?bot_id=1&q=needle%20-hay%20%22a%20n%22&limit=50").await;
    assert_eq!(labels(&page), newest_first);
    let (_, page) = app.get("/api/v1/command-logs?bot_id=1&q=zanzibar&limit=50").await;
    assert_eq!(labels(&page), Vec::<u64>::new());
}
