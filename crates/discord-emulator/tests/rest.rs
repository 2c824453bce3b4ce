//! REST behaviour with a plain HTTP client: Discord's error codes and shapes, permission checks,
//! rate-limit headers and 429s, interaction rules, and the exact `Content-Type`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::World;
use discord_emulator::{ApplicationSpec, EmulatorConfig, Overwrite, RouteLimit, UserAction};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(w: &World) -> Self {
        Self { http: reqwest::Client::new(), base: w.emulator.api_url(), token: w.app.token.clone() }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", format!("Bot {}", self.token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        let text = res.text().await.unwrap();
        (status, headers, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, _, v) = self.call(Method::POST, path, Some(body)).await;
        (s, v)
    }
}

/// No per-route limits, so many error cases can hit one route in a row.
fn unlimited() -> EmulatorConfig {
    EmulatorConfig {
        route_limits: vec![],
        default_route_limit: (1000, Duration::from_secs(1)),
        ..EmulatorConfig::fast()
    }
}

fn code(v: &Value) -> u64 {
    v["code"].as_u64().unwrap()
}

#[tokio::test]
async fn json_responses_have_exactly_application_json() {
    let w = World::start().await;
    let api = Api::new(&w);
    let (_, headers, _) = api.call(Method::GET, "/users/@me", None).await;
    assert_eq!(headers["content-type"], "application/json");
    let (status, headers, body) = api.call(Method::GET, "/channels/1", None).await;
    assert_eq!(
        (status, headers["content-type"].to_str().unwrap(), code(&body)),
        (StatusCode::NOT_FOUND, "application/json", 10003)
    );
}

#[tokio::test]
async fn unauthorized_requests_get_401_code_0() {
    let w = World::start().await;
    let mut api = Api::new(&w);
    api.token = "nope".into();
    let (status, _, body) = api.call(Method::GET, "/users/@me", None).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, json!({"code": 0, "message": "401: Unauthorized"})));
    let res = reqwest::get(format!("{}/users/@me", w.emulator.api_url())).await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn identity_endpoints_describe_the_bot_and_its_intents() {
    let w = World::start().await;
    let api = Api::new(&w);
    let (_, _, me) = api.call(Method::GET, "/users/@me", None).await;
    assert_eq!(
        (me["id"].as_str().unwrap(), me["bot"].as_bool().unwrap()),
        (w.app.bot_user_id.to_string().as_str(), true)
    );
    let (_, _, app) = api.call(Method::GET, "/oauth2/applications/@me", None).await;
    assert_eq!(app["id"], w.app.application_id.to_string());
    assert_eq!(app["flags"].as_u64().unwrap() & (1 << 18), 1 << 18, "message content intent enabled");
    let (_, _, gw) = api.call(Method::GET, "/gateway", None).await;
    assert_eq!(gw["url"], w.emulator.gateway_url());
}

#[tokio::test]
async fn channel_and_message_errors_carry_discords_codes() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let general = format!("/channels/{}/messages", w.general);
    assert_eq!(code(&api.post("/channels/123/messages", json!({"content": "x"})).await.1), 10003);
    let (status, body) = api.post(&general, json!({"content": ""})).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 50006));
    let (status, body) = api.post(&general, json!({"content": "x".repeat(2001)})).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 50035));
    assert_eq!(body["errors"]["content"]["_errors"][0]["code"], "BASE_TYPE_MAX_LENGTH");
    let embeds: Vec<Value> = (0..11).map(|_| json!({"title": "t"})).collect();
    assert_eq!(
        api.post(&general, json!({"embeds": embeds})).await.1["errors"]["embeds"]["_errors"][0]["code"],
        "BASE_TYPE_MAX_LENGTH"
    );
    let long = json!({"embeds": [{"description": "d".repeat(4097)}]});
    assert!(api.post(&general, long).await.1["errors"]["embeds"]["0"]["description"]["_errors"].is_array());
    let fields: Vec<Value> = (0..26).map(|i| json!({"name": format!("f{i}"), "value": "v"})).collect();
    assert!(api.post(&general, json!({"embeds": [{"fields": fields}]})).await.1["errors"]["embeds"]["0"]["fields"]
        ["_errors"]
        .is_array());
    let big: Vec<Value> = (0..2).map(|_| json!({"description": "y".repeat(3500)})).collect();
    assert_eq!(
        api.post(&general, json!({"embeds": big})).await.1["errors"]["embeds"]["_errors"][0]["code"],
        "MAX_EMBED_SIZE_EXCEEDED"
    );
    assert_eq!(code(&api.post(&general, json!({"content": 5})).await.1), 50035);
    assert_eq!(code(&api.post("/channels/abc/messages", json!({"content": "x"})).await.1), 50035);
    let (status, _, body) = api.call(Method::GET, &format!("{general}/42"), None).await;
    assert_eq!((status, code(&body)), (StatusCode::NOT_FOUND, 10008));
    let res = api
        .http
        .post(format!("{}{general}", api.base))
        .header("Authorization", format!("Bot {}", api.token))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(code(&res.json::<Value>().await.unwrap()), 50109);
    let (status, _, body) = api.call(Method::GET, "/no/such/route", None).await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, json!({"code": 0, "message": "404: Not Found"})));
    // Nothing of the above created a message.
    assert!(w.emulator.messages(w.general).unwrap().is_empty());
}

#[tokio::test]
async fn permissions_give_50001_and_50013_and_authors_alone_edit() {
    let w = World::start().await;
    let api = Api::new(&w);
    let elsewhere_guild = w.emulator.create_guild("Other Shop", w.alice).unwrap();
    let elsewhere = w.emulator.create_channel(elsewhere_guild, "secret").unwrap();
    let (status, body) = api.post(&format!("/channels/{elsewhere}/messages"), json!({"content": "x"})).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, 50001));
    let read_only = w.emulator.create_channel(w.guild, "announcements").unwrap();
    w.emulator.set_overwrite(read_only, Overwrite { id: w.guild, kind: 0, allow: 0, deny: 1 << 11 }).unwrap();
    let (status, body) = api.post(&format!("/channels/{read_only}/messages"), json!({"content": "x"})).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, 50013));
    let hidden = w.emulator.create_channel(w.guild, "staff").unwrap();
    w.emulator.set_overwrite(hidden, Overwrite { id: w.app.bot_user_id, kind: 1, allow: 0, deny: 1 << 10 }).unwrap();
    assert_eq!(code(&api.call(Method::GET, &format!("/channels/{hidden}"), None).await.2), 50001);

    let theirs = w.emulator.user_message(w.alice, w.general, "alice's words").unwrap();
    let path = format!("/channels/{}/messages/{theirs}", w.general);
    let (status, _, body) = api.call(Method::PATCH, &path, Some(json!({"content": "changed"}))).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, 50005));
    let (status, _, body) = api.call(Method::DELETE, &path, None).await;
    assert_eq!((status, code(&body)), (StatusCode::FORBIDDEN, 50013));
    assert_eq!(w.emulator.messages(w.general).unwrap()[0].content, "alice's words");
}

#[tokio::test]
async fn buckets_send_every_header_and_429_the_way_discord_does() {
    let config = EmulatorConfig {
        route_limits: vec![RouteLimit::new("POST", "/channels/{channel_id}/messages", 2, Duration::from_secs(60))],
        ..EmulatorConfig::fast()
    };
    let w = World::with(config, ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let path = format!("/channels/{}/messages", w.general);
    let (_, h, _) = api.call(Method::POST, &path, Some(json!({"content": "1"}))).await;
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-reset-after",
        "x-ratelimit-bucket",
        "x-ratelimit-scope",
    ] {
        assert!(h.contains_key(name), "missing {name}");
    }
    assert_eq!(
        (
            h["x-ratelimit-limit"].to_str().unwrap(),
            h["x-ratelimit-remaining"].to_str().unwrap(),
            h["x-ratelimit-scope"].to_str().unwrap()
        ),
        ("2", "1", "user")
    );
    let reset: f64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > 1.7e9, "epoch seconds");
    api.call(Method::POST, &path, Some(json!({"content": "2"}))).await;
    let (status, h, body) = api.call(Method::POST, &path, Some(json!({"content": "3"}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["global"], false);
    assert!(body["retry_after"].as_f64().unwrap() > 50.0);
    assert_eq!(h["retry-after"], "60");
    assert_eq!(h["x-ratelimit-scope"], "user");
    assert!(!h.contains_key("x-ratelimit-global"));
    assert_eq!(w.emulator.messages(w.general).unwrap().len(), 2, "a limited request changes nothing");
    // Another channel has its own bucket.
    let other = w.emulator.create_channel(w.guild, "other").unwrap();
    assert_eq!(api.post(&format!("/channels/{other}/messages"), json!({"content": "x"})).await.0, StatusCode::OK);
    w.emulator.advance_time(Duration::from_secs(60));
    assert_eq!(api.post(&path, json!({"content": "3"})).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_global_limit_is_50_per_second_per_token() {
    let config = EmulatorConfig { default_route_limit: (1000, Duration::from_secs(1)), ..EmulatorConfig::fast() };
    let w = World::with(config, ApplicationSpec::default()).await;
    let api = Api::new(&w);
    for _ in 0..50 {
        assert_eq!(api.call(Method::GET, "/users/@me", None).await.0, StatusCode::OK);
    }
    let (status, h, body) = api.call(Method::GET, "/users/@me", None).await;
    // The clock may cross a second boundary between calls; then the 51st is allowed legitimately.
    if status == StatusCode::TOO_MANY_REQUESTS {
        assert_eq!(body["global"], true);
        assert_eq!(h["x-ratelimit-global"], "true");
        assert_eq!(h["x-ratelimit-scope"], "global");
        assert_eq!(h["retry-after"], "1");
    } else {
        assert!(w.emulator.counters().counters.rate_limited == 0);
    }
}

#[tokio::test]
async fn interaction_rules_unknown_deadline_twice_and_expired_token() {
    let w = World::with(EmulatorConfig::default(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let app = w.app.application_id;
    let (status, _, _) = api
        .call(
            Method::PUT,
            &format!("/applications/{app}/commands"),
            Some(json!([{"name": "ping", "description": "Pong"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let bad = api
        .call(
            Method::PUT,
            &format!("/applications/{app}/commands"),
            Some(json!([{"name": "Bad Name", "description": ""}])),
        )
        .await;
    assert_eq!(bad.2["errors"]["0"]["name"]["_errors"][0]["code"], "APPLICATION_COMMAND_INVALID_NAME");
    assert_eq!(code(&api.call(Method::GET, "/applications/1/commands", None).await.2), 20012);

    let start = || {
        w.emulator
            .user_interaction(
                app,
                w.alice,
                w.general,
                UserAction::SlashCommand { name: "ping".into(), options: vec![] },
            )
            .unwrap()
    };
    let cb =
        |i: &discord_emulator::StartedInteraction| format!("/interactions/{}/{}/callback", i.interaction_id, i.token);
    let reply = json!({"type": 4, "data": {"content": "pong"}});

    let first = start();
    assert_eq!(
        code(&api.post(&format!("/interactions/{}/wrong/callback", first.interaction_id), reply.clone()).await.1),
        10062
    );
    assert_eq!(code(&api.post(&cb(&first), json!({"type": 8, "data": {"choices": []}})).await.1), 50035);
    assert_eq!(code(&api.post(&cb(&first), json!({"type": 4, "data": {"content": ""}})).await.1), 50006);
    let (status, body) = api.post(&format!("{}?with_response=true", cb(&first)), reply.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["resource"]["message"]["content"], "pong");
    assert_eq!(code(&api.post(&cb(&first), reply.clone()).await.1), 40060);

    let late = start();
    w.emulator.advance_time(Duration::from_secs(4));
    assert_eq!(code(&api.post(&cb(&late), reply.clone()).await.1), 10062, "3 s to acknowledge");

    let hook = format!("/webhooks/{app}/{}", first.token);
    assert_eq!(code(&api.post(&format!("/webhooks/{app}/nope"), json!({"content": "x"})).await.1), 10015);
    let (status, body) = api.post(&hook, json!({"content": "follow-up"})).await;
    assert_eq!((status, body["content"].as_str()), (StatusCode::OK, Some("follow-up")));
    w.emulator.advance_time(Duration::from_secs(15 * 60));
    let (status, _, body) =
        api.call(Method::PATCH, &format!("{hook}/messages/@original"), Some(json!({"content": "late"}))).await;
    assert_eq!((status, code(&body)), (StatusCode::UNAUTHORIZED, 50027));
}

#[tokio::test]
async fn components_and_autocomplete_interactions() {
    let w = World::start().await;
    let api = Api::new(&w);
    let app = w.app.application_id;
    api.call(Method::PUT, &format!("/applications/{app}/commands"), Some(json!([{"name": "stock", "description": "Stock", "options": [{"type": 3, "name": "product", "description": "p", "autocomplete": true}]}]))).await;
    let (_, posted) = api.post(&format!("/channels/{}/messages", w.general), json!({"content": "page 1", "components": [{"type": 1, "components": [{"type": 2, "style": 1, "label": "Next", "custom_id": "next"}]}]})).await;
    let message_id: u64 = posted["id"].as_str().unwrap().parse().unwrap();
    let press = w
        .emulator
        .user_interaction(
            app,
            w.alice,
            w.general,
            UserAction::Component { message_id, custom_id: "next".into(), component_type: 2, values: vec![] },
        )
        .unwrap();
    let (status, _) = api
        .post(
            &format!("/interactions/{}/{}/callback", press.interaction_id, press.token),
            json!({"type": 7, "data": {"content": "page 2"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let stored = w.emulator.messages(w.general).unwrap();
    assert_eq!((stored[0].content.as_str(), stored[0].edits), ("page 2", 1));

    let typed = w
        .emulator
        .user_interaction(
            app,
            w.alice,
            w.general,
            UserAction::Autocomplete {
                name: "stock".into(),
                option: "product".into(),
                value: "te".into(),
                options: vec![],
            },
        )
        .unwrap();
    let too_many: Vec<Value> = (0..26).map(|i| json!({"name": format!("p{i}"), "value": format!("p{i}")})).collect();
    let path = format!("/interactions/{}/{}/callback", typed.interaction_id, typed.token);
    assert_eq!(code(&api.post(&path, json!({"type": 8, "data": {"choices": too_many}})).await.1), 50035);
    assert_eq!(
        api.post(&path, json!({"type": 8, "data": {"choices": [{"name": "Tea", "value": "tea"}]}})).await.0,
        StatusCode::NO_CONTENT
    );
    let record = w.emulator.interaction(typed.interaction_id).unwrap();
    assert_eq!(record.responses[0].data["choices"][0]["value"], "tea");
    assert_eq!(record.data["options"][0]["focused"], true);
}

#[tokio::test]
async fn unknown_guilds_commands_and_users_and_bad_queries() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let app = w.app.application_id;
    assert_eq!(code(&api.call(Method::GET, "/guilds/1", None).await.2), 10004);
    assert_eq!(code(&api.call(Method::GET, &format!("/applications/{app}/guilds/1/commands"), None).await.2), 10004);
    assert_eq!(code(&api.call(Method::GET, &format!("/applications/{app}/commands/1"), None).await.2), 10063);
    assert_eq!(code(&api.post("/users/@me/channels", json!({"recipient_id": "1"})).await.1), 10013);
    let (status, _, body) = api.call(Method::GET, &format!("/channels/{}/messages?limit=500", w.general), None).await;
    assert_eq!(
        (status, body["errors"]["limit"]["_errors"][0]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("NUMBER_TYPE_MAX"))
    );
    let (status, _, body) = api.call(Method::PUT, "/users/@me", None).await;
    assert_eq!((status, code(&body)), (StatusCode::METHOD_NOT_ALLOWED, 0));
}

#[tokio::test]
async fn garbage_bodies_on_every_route_get_4xx_and_change_nothing() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let (app, ch) = (w.app.application_id, w.general);
    let routes = [
        (Method::POST, format!("/channels/{ch}/messages")),
        (Method::PATCH, format!("/channels/{ch}/messages/1")),
        (Method::PUT, format!("/applications/{app}/commands")),
        (Method::POST, format!("/applications/{app}/commands")),
        (Method::POST, "/users/@me/channels".to_owned()),
        (Method::POST, "/interactions/1/x/callback".to_owned()),
        (Method::POST, format!("/webhooks/{app}/x")),
    ];
    let bodies: [&[u8]; 6] = [b"", b"{", b"[]", b"null", b"{\"content\": {\"a\": 1}}", &[0xff, 0xfe, 0x00]];
    for (method, path) in &routes {
        for body in bodies {
            let res = api
                .http
                .request(method.clone(), format!("{}{path}", api.base))
                .header("Authorization", format!("Bot {}", api.token))
                .header("Content-Type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            // An empty list is a valid bulk overwrite (it clears the commands).
            let valid = *method == Method::PUT && body == b"[]";
            assert!(res.status().is_client_error() || valid, "{method} {path} {body:?} → {}", res.status());
        }
    }
    assert!(w.emulator.messages(ch).unwrap().is_empty());
    assert_eq!(api.call(Method::GET, "/users/@me", None).await.0, StatusCode::OK);
}

/// Discord documents boolean query strings as `True`/`true`/`1` and `False`/`false`/`0`
/// (API reference, "Boolean Query Strings"); discord.py sends `?with_response=1` on every
/// interaction callback and `?wait=1` on webhooks. Anything else is a 50035 naming the parameter,
/// and the refused request changes nothing.
#[tokio::test]
async fn boolean_query_parameters_take_every_form_discord_documents() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let app = w.app.application_id;
    let (status, _, _) = api
        .call(
            Method::PUT,
            &format!("/applications/{app}/commands"),
            Some(json!([{"name": "ping", "description": "Pong"}])),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let start = || {
        w.emulator
            .user_interaction(
                app,
                w.alice,
                w.general,
                UserAction::SlashCommand { name: "ping".into(), options: vec![] },
            )
            .unwrap()
    };
    let reply = json!({"type": 4, "data": {"content": "pong"}});
    for (value, answers) in
        [("1", true), ("true", true), ("True", true), ("0", false), ("false", false), ("False", false)]
    {
        let i = start();
        let path = format!("/interactions/{}/{}/callback?with_response={value}", i.interaction_id, i.token);
        let (status, body) = api.post(&path, reply.clone()).await;
        if answers {
            assert_eq!(status, StatusCode::OK, "with_response={value}: {body}");
            assert_eq!(body["interaction"]["id"], i.interaction_id.to_string(), "with_response={value}: {body}");
            assert_eq!(body["resource"]["message"]["content"], "pong", "with_response={value}: {body}");
        } else {
            assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null), "with_response={value}");
        }
    }

    for value in ["yes", "TRUE", "2", ""] {
        let i = start();
        let path = format!("/interactions/{}/{}/callback?with_response={value}", i.interaction_id, i.token);
        let (status, body) = api.post(&path, reply.clone()).await;
        assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 50035), "with_response={value}: {body}");
        assert_eq!(body["message"], "Invalid Form Body");
        assert_eq!(body["errors"]["with_response"]["_errors"][0]["code"], "BOOLEAN_TYPE_COERCE", "{body}");
        assert!(
            w.emulator.interaction(i.interaction_id).unwrap().responses.is_empty(),
            "with_response={value}: a refused callback acknowledges nothing"
        );
        // The interaction can still be answered.
        let path = format!("/interactions/{}/{}/callback", i.interaction_id, i.token);
        assert_eq!(api.post(&path, reply.clone()).await.0, StatusCode::NO_CONTENT);
    }

    // A channel webhook's `wait` takes the same forms.
    let hook = w.emulator.create_webhook(w.general, "Alerts").unwrap();
    let before = w.emulator.messages(w.general).unwrap().len();
    for (value, status) in [("1", 200), ("True", 200), ("0", 204), ("false", 204), ("sure", 400)] {
        let res = api
            .http
            .post(format!("{}{}?wait={value}", api.base, hook.path))
            .json(&json!({"content": format!("wait={value}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), status, "wait={value}");
        if status == 200 {
            assert_eq!(res.json::<Value>().await.unwrap()["content"], format!("wait={value}"));
        }
    }
    assert_eq!(w.emulator.messages(w.general).unwrap().len(), before + 4, "the refused execute posted nothing");
}

/// A request's rate-limit identity is its bot token when it carries one, even on routes that do
/// not need one (`GET /gateway`), and its IP otherwise (Discord's "Rate Limits": "Individuals are
/// determined using a request's authentication"; "If no authorization header is provided, then
/// the limit is applied to the IP address").
#[tokio::test]
async fn token_free_routes_count_against_the_token_when_there_is_one_else_the_ip() {
    // 100 bots starting together each ask for the gateway once: nobody is limited.
    let w = World::start().await;
    let tokens: Vec<String> = (0..100)
        .map(|i| {
            w.emulator
                .create_application(ApplicationSpec { name: format!("Fleet {i}"), ..ApplicationSpec::default() })
                .unwrap()
                .token
        })
        .collect();
    let http = reqwest::Client::new();
    let url = format!("{}/gateway", w.emulator.api_url());
    let calls = tokens.iter().map(|t| {
        let req = http.get(&url).header("Authorization", format!("Bot {t}"));
        async move { req.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(calls).await;
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(limited, 0, "100 tokens calling GET /gateway once each: {limited} got 429");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    assert_eq!(w.emulator.counters().counters.rate_limited, 0);

    // With a small bucket on the route: each token has its own, token-less callers share the IP's.
    let config = EmulatorConfig {
        route_limits: vec![RouteLimit::new("GET", "/gateway", 3, Duration::from_secs(60))],
        ..EmulatorConfig::fast()
    };
    let w = World::with(config, ApplicationSpec::default()).await;
    let other = w.another_bot(ApplicationSpec { name: "Other".into(), ..ApplicationSpec::default() });
    let get = |token: Option<String>| {
        let mut req = reqwest::Client::new().get(format!("{}/gateway", w.emulator.api_url()));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bot {t}"));
        }
        async move {
            let res = req.send().await.unwrap();
            let scope = res.headers().get("x-ratelimit-scope").map(|v| v.to_str().unwrap().to_owned());
            (res.status(), scope)
        }
    };
    for _ in 0..3 {
        assert_eq!(get(Some(w.app.token.clone())).await.0, StatusCode::OK);
    }
    assert_eq!(
        get(Some(w.app.token.clone())).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("user".to_owned())),
        "one token over its own bucket is limited"
    );
    assert_eq!(get(Some(other.token.clone())).await.0, StatusCode::OK, "another token has its own bucket");
    for _ in 0..3 {
        assert_eq!(get(None).await.0, StatusCode::OK, "token-less callers have the IP's bucket");
    }
    assert_eq!(
        get(None).await,
        (StatusCode::TOO_MANY_REQUESTS, Some("user".to_owned())),
        "token-less callers from one IP share its bucket"
    );
    assert_eq!(get(Some(other.token.clone())).await.0, StatusCode::OK, "the IP's bucket is not the tokens'");
}

/// `enforce_nonce: true`: the same author's message with the same nonce within the last few
/// minutes comes back as it is, and nothing new is created or dispatched (Discord's documented
/// rule); without it a nonce is only echoed; a nonce is an integer or at most 25 characters.
#[tokio::test]
async fn enforce_nonce_returns_the_first_message_and_creates_nothing() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let general = format!("/channels/{}/messages", w.general);
    let (status, first) = api.post(&general, json!({"content": "one", "nonce": "42:7", "enforce_nonce": true})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["nonce"], "42:7");
    let (status, again) = api.post(&general, json!({"content": "two", "nonce": "42:7", "enforce_nonce": true})).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!((again["id"].clone(), again["content"].clone()), (first["id"].clone(), json!("one")));
    assert_eq!(w.emulator.messages(w.general).unwrap().len(), 1, "no second message");
    assert_eq!(w.emulator.counters().counters.nonce_duplicates, 1);
    // Without enforce_nonce the nonce is only echoed: a second message.
    let (_, plain) = api.post(&general, json!({"content": "three", "nonce": "42:7"})).await;
    assert_ne!(plain["id"], first["id"]);
    // An integer nonce works the same way.
    let (_, int) = api.post(&general, json!({"content": "four", "nonce": 12345, "enforce_nonce": true})).await;
    let (_, int_again) = api.post(&general, json!({"content": "five", "nonce": 12345, "enforce_nonce": true})).await;
    assert_eq!((int["nonce"].clone(), int_again["id"].clone()), (json!(12345), int["id"].clone()));
    // After the window the nonce is forgotten.
    w.emulator.advance_time(Duration::from_secs(301));
    let (_, later) = api.post(&general, json!({"content": "six", "nonce": "42:7", "enforce_nonce": true})).await;
    assert_ne!(later["id"], first["id"]);
    let (status, body) =
        api.post(&general, json!({"content": "x", "nonce": "n".repeat(26), "enforce_nonce": true})).await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 50035));
    assert_eq!(body["errors"]["nonce"]["_errors"][0]["code"], "BASE_TYPE_MAX_LENGTH");
    assert_eq!(w.emulator.messages(w.general).unwrap().len(), 4);
}

/// `allowed_mentions` as Discord documents it: without it the content's mentions ping; with it a
/// message's `mentions`, `mention_roles` and `mention_everyone` hold only what it allows; a kind in
/// `parse` that is also listed by id is refused (50035).
#[tokio::test]
async fn allowed_mentions_decide_who_is_mentioned() {
    let w = World::with(unlimited(), ApplicationSpec::default()).await;
    let api = Api::new(&w);
    let role = w.emulator.create_role(w.guild, "Staff", 0).unwrap();
    let general = format!("/channels/{}/messages", w.general);
    let content = format!("<@{}> <@&{role}> @everyone sale!", w.alice);
    let mentioned = |m: &Value| {
        let users: Vec<String> =
            m["mentions"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect();
        (users, m["mention_roles"].as_array().unwrap().len(), m["mention_everyone"].as_bool().unwrap())
    };
    let (status, all) = api.post(&general, json!({"content": content})).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(mentioned(&all), (vec![w.alice.to_string()], 1, true), "no allowed_mentions: the content's");
    let (_, none) = api.post(&general, json!({"content": content, "allowed_mentions": {"parse": []}})).await;
    assert_eq!(mentioned(&none), (vec![], 0, false), "parse []: nobody");
    let (_, users) =
        api.post(&general, json!({"content": content, "allowed_mentions": {"users": [w.alice.to_string()]}})).await;
    assert_eq!(mentioned(&users), (vec![w.alice.to_string()], 0, false), "only the listed user");
    let (_, everyone) =
        api.post(&general, json!({"content": content, "allowed_mentions": {"parse": ["everyone", "roles"]}})).await;
    assert_eq!(mentioned(&everyone), (vec![], 1, true));
    let (status, body) = api
        .post(
            &general,
            json!({"content": content, "allowed_mentions": {"parse": ["users"], "users": [w.alice.to_string()]}}),
        )
        .await;
    assert_eq!((status, code(&body)), (StatusCode::BAD_REQUEST, 50035));
    assert_eq!(body["errors"]["allowed_mentions"]["_errors"][0]["code"], "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE");
    assert_eq!(w.emulator.messages(w.general).unwrap().len(), 4, "the refused one was not created");
}
