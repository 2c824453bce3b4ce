//! The documentation matches the code: the permission table in `docs/api.md` is the one the
//! routes declare (`BOTFLEET_UPDATE_DOCS=1 cargo test -p botfleet --test docs` rewrites it after a route changes).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

#[test]
fn the_permission_table_in_the_docs_is_the_code_s() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- permissions:start -->\n", "<!-- permissions:end -->");
    let from = doc.find(start).expect("docs/api.md has the permissions markers") + start.len();
    let to = doc[from..].find(end).unwrap() + from;
    let expected = botfleet::api::permissions_markdown();
    if std::env::var("BOTFLEET_UPDATE_DOCS").as_deref() == Ok("1") {
        std::fs::write(path, format!("{}{expected}{}", &doc[..from], &doc[to..])).unwrap();
        return;
    }
    assert!(doc[from..to] == expected, "docs/api.md's permission table is out of date; it should read (BOTFLEET_UPDATE_DOCS=1 rewrites it):\n{expected}");
}

#[test]
fn every_error_code_is_in_the_docs_errors_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let (start, end) = ("<!-- error-codes:start -->", "<!-- error-codes:end -->");
    let from = doc.find(start).expect("docs/api.md has the error-codes markers");
    let table = &doc[from..from + doc[from..].find(end).unwrap()];
    // The code column: `| status | code | when |`, codes in backticks.
    let documented: Vec<&str> = table
        .lines()
        .filter_map(|row| row.split('|').nth(2))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .collect();
    for code in botfleet::api::error::CODES {
        assert!(documented.contains(code), "docs/api.md's Errors table lacks `{code}`");
    }
    for code in documented {
        assert!(botfleet::api::error::CODES.contains(&code), "docs/api.md lists `{code}`, which the API never answers");
    }
}
