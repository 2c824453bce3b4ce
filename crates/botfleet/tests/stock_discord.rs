//! Stock on Discord, end to end with the emulator, on SQLite and PostgreSQL: the stock message
//! follows API changes within 2 s (the delay is printed), hidden products leave it and `/stock`,
//! 500 changes in a row are a few edits with no 429, a deleted message (or one whose edit Discord
//! refuses with 10008 or 30046) is posted again, a restart edits the same message, a 300-product
//! catalogue spans several messages and `/stock` pages through it with buttons, autocomplete
//! offers at most 25 visible products, "Back in stock" is announced when asked for, and "Low
//! stock" is noticed once per fall to the threshold, across retries and restarts. A server with
//! stock channels of its own gets the catalogue, announcements and notices there too (in place of
//! the bot's when the bot's are in that server), applied by a running bot at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use tokio::time::Instant;

use botfleet::fleet::stock_message;
use botfleet::stock::{display, Product};
use common::{until, Backend, TestApp};
use discord_emulator::{
    ApplicationInfo, ApplicationSpec, Emulator, EmulatorConfig, FaultAction, FaultSpec, MessageRecord, RouteMatch,
    UserAction,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const MESSAGE_ROUTE: &str = "/channels/{channel_id}/messages/{message_id}";
const EDIT: &str = "PATCH /channels/{channel_id}/messages/{message_id}";
const POST: &str = "POST /channels/{channel_id}/messages";

struct World {
    emulator: Emulator,
    shop: ApplicationInfo,
    alice: u64,
    general: u64,
    stock: u64,
    news: u64,
    app: TestApp,
}

async fn world(backend: Backend) -> Option<World> {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let shop = emulator.create_application(ApplicationSpec { name: "Shop Bot".into(), ..Default::default() }).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Demo Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    let stock = emulator.create_channel(guild, "stock").unwrap();
    let news = emulator.create_channel(guild, "news").unwrap();
    emulator.add_member(guild, shop.bot_user_id, vec![]).unwrap();
    let app = TestApp::spawn_with(backend, emulator.http_url()).await?;
    Some(World { emulator, shop, alice, general, stock, news, app })
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    stock_channel_settings_are_validated_shown_and_cleared,
    a_stock_change_is_on_discord_within_two_seconds_and_hidden_products_are_gone,
    five_hundred_changes_are_a_few_paced_edits_and_no_429,
    a_deleted_or_unknown_stock_message_is_posted_again,
    a_refused_edit_30046_is_replaced_by_a_fresh_post,
    a_restart_edits_the_same_message,
    a_large_catalogue_spans_several_messages_and_stock_pages_with_buttons,
    back_in_stock_is_announced_only_where_asked,
    low_stock_channel_is_validated_audited_and_cleared,
    low_stock_is_noticed_once_per_crossing_and_never_twice,
    servers_have_stock_channels_of_their_own_applied_at_once,
);

impl World {
    /// A bot (anti-spam off: tests send many commands as one user) with these extra settings,
    /// started and with its slash commands registered.
    async fn bot(&self, settings: Value) -> i64 {
        let mut body = json!({"name": "Shop", "token": self.shop.token, "anti_spam": {"enabled": false}});
        body.as_object_mut().unwrap().extend(settings.as_object().unwrap().clone());
        let (status, bot) = self.app.post("/api/v1/bots", body).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        let id = bot["id"].as_i64().unwrap();
        let (status, body) = self.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.running(id).await;
        until("/stock to be registered", 30, || async {
            let state = self.emulator.state();
            let commands = state.commands.get(&self.shop.application_id)?;
            commands.iter().any(|c| c.body["name"] == "stock").then_some(())
        })
        .await;
        id
    }

    async fn running(&self, id: i64) {
        until("the bot to run", 30, || async {
            (self.app.get(&format!("/api/v1/bots/{id}")).await.1["status"] == "running").then_some(())
        })
        .await;
    }

    async fn product(&self, sku: &str, name: &str, stock: i64) -> i64 {
        let body = json!({"sku": sku, "name": name, "price_minor": 450, "currency": "EUR", "stock": stock});
        let (status, p) = self.app.post("/api/v1/products", body).await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        p["id"].as_i64().unwrap()
    }

    async fn adjust(&self, id: i64, by: i64) {
        let (status, body) =
            self.app.post(&format!("/api/v1/products/{id}/stock"), json!({"adjust": by, "reason": "test"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn set_visible(&self, id: i64, visible: bool) {
        let path = format!("/api/v1/products/{id}/visible");
        let (status, body) = self.app.call(Method::PUT, &path, Some(json!({"visible": visible}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    /// The catalogue as the API has it now, every page.
    async fn products(&self) -> Vec<Product> {
        let mut all = Vec::new();
        let mut cursor = String::new();
        loop {
            let (_, page) = self.app.get(&format!("/api/v1/products?limit=500{cursor}")).await;
            all.extend(serde_json::from_value::<Vec<Product>>(page["items"].clone()).unwrap());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return all,
            }
        }
    }

    /// What the stock channel should show now, message by message.
    async fn expected(&self) -> Vec<String> {
        let visible: Vec<Product> = self.products().await.into_iter().filter(|p| p.visible).collect();
        display::catalogue_embeds(&visible).into_iter().map(|e| e.description.unwrap_or_default()).collect()
    }

    /// The bot's messages in a channel, deleted ones left out.
    fn live(&self, channel: u64) -> Vec<MessageRecord> {
        let messages = self.emulator.messages(channel).unwrap();
        messages.into_iter().filter(|m| m.author_is_bot && m.deleted_at.is_none()).collect()
    }

    /// The stock channel's text, message by message.
    fn shown(&self) -> Vec<String> {
        self.live(self.stock).iter().map(description).collect()
    }

    /// Waits until the stock channel shows exactly what it should; returns its messages.
    async fn shows_the_catalogue(&self, secs: u64) -> Vec<MessageRecord> {
        let expected = self.expected().await;
        until("the stock channel to show the catalogue", secs, || async {
            (self.shown() == expected).then(|| self.live(self.stock))
        })
        .await
    }

    fn rest(&self, route: &str) -> u64 {
        self.emulator.counters().counters.rest_by_route.get(route).copied().unwrap_or(0)
    }

    fn edits(&self) -> u64 {
        self.rest(EDIT)
    }

    fn posts(&self) -> u64 {
        self.rest(POST)
    }

    /// Waits until the emulator has counted `n` requests on `route` (it counts a request after
    /// answering it, so a message can be seen a moment before its request is counted), then
    /// checks no more arrive for a moment.
    async fn counted(&self, route: &str, n: u64) {
        until(&format!("{n} × {route}"), 10, || async { (self.rest(route) >= n).then_some(()) }).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(self.rest(route), n, "{route}");
    }

    fn no_429s(&self) {
        let counters = self.emulator.counters().counters;
        assert_eq!(counters.rate_limited, 0, "429s received: {:?}", counters.rate_limited_by_scope);
    }

    /// Runs `/stock` with options; returns the first response's data and message id.
    async fn slash_stock(&self, options: Vec<Value>) -> (Value, Option<u64>) {
        let action = UserAction::SlashCommand { name: "stock".into(), options };
        self.interact(action, self.general).await
    }

    async fn interact(&self, action: UserAction, channel: u64) -> (Value, Option<u64>) {
        let started = self.emulator.user_interaction(self.shop.application_id, self.alice, channel, action).unwrap();
        let record = until("the interaction to be answered", 30, || async {
            let record = self.emulator.interaction(started.interaction_id).unwrap();
            (!record.responses.is_empty()).then_some(record)
        })
        .await;
        let response = &record.responses[0];
        (json!({"type": response.callback_type, "data": response.data}), response.message_id)
    }

    /// Presses a button on a message; returns the message's first embed afterwards.
    async fn press(&self, channel: u64, message_id: u64, custom_id: &str) -> Value {
        let action =
            UserAction::Component { message_id, custom_id: custom_id.into(), component_type: 2, values: vec![] };
        let (response, _) = self.interact(action, channel).await;
        assert_eq!(response["type"], 7, "a button press updates the message: {response}");
        let message = self.emulator.messages(channel).unwrap().into_iter().find(|m| m.id == message_id).unwrap();
        message.embeds[0].clone()
    }
}

fn description(m: &MessageRecord) -> String {
    m.embeds.iter().filter_map(|e| e["description"].as_str()).collect::<Vec<_>>().join("\n")
}

/// The `custom_id`s of a reply's buttons.
fn buttons(components: &Value) -> Vec<String> {
    let rows = components.as_array().cloned().unwrap_or_default();
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_owned))
        .collect()
}

async fn stock_channel_settings_are_validated_shown_and_cleared(w: World) {
    let (status, bot) = w
        .app
        .post(
            "/api/v1/bots",
            json!({"name": "Shop", "token": common::token("s"), "stock_channel_id": w.stock.to_string()}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["stock_channel_id"], w.stock.to_string());
    assert_eq!(bot["back_in_stock_channel_id"], Value::Null, "back in stock is off by default");
    let path = format!("/api/v1/bots/{}", bot["id"]);
    let patch = json!({"version": 1, "back_in_stock_channel_id": w.news.to_string(), "stock_channel_id": "12"});
    let (status, errors) = w.app.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors["error"]["fields"][0]["field"], "stock_channel_id");
    let patch = json!({"version": 1, "back_in_stock_channel_id": w.news.to_string()});
    let (status, bot) = w.app.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{bot}");
    assert_eq!(
        (bot["stock_channel_id"].as_str(), bot["back_in_stock_channel_id"].as_str()),
        (Some(w.stock.to_string().as_str()), Some(w.news.to_string().as_str())),
        "a field left out keeps its value"
    );
    let (status, bot) = w.app.call(Method::PATCH, &path, Some(json!({"version": 2, "stock_channel_id": null}))).await;
    assert_eq!((status, &bot["stock_channel_id"]), (StatusCode::OK, &Value::Null), "null clears it");
    assert_eq!(bot["back_in_stock_channel_id"], w.news.to_string());
    let (_, audit) = w.app.get("/api/v1/audit-logs?kind=action&action=bots.update").await;
    assert!(audit.to_string().contains("stock_channel_id"), "the change is audited: {audit}");
    let (_, doc) = w.app.get("/api/openapi.json").await;
    for schema in ["CreateBot", "UpdateBot", "BotView"] {
        let properties = &doc["components"]["schemas"][schema]["properties"];
        for field in ["stock_channel_id", "back_in_stock_channel_id"] {
            assert!(properties.get(field).is_some(), "{schema}.{field} is in the OpenAPI document");
        }
    }
}

async fn a_stock_change_is_on_discord_within_two_seconds_and_hidden_products_are_gone(w: World) {
    let tea = w.product("TEA", "Green Tea", 10).await;
    let coffee = w.product("COFFEE", "Coffee", 0).await;
    let cocoa = w.product("COCOA", "Cocoa", 3).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let first = w.shows_the_catalogue(30).await;
    assert_eq!(first.len(), 1);
    let text = description(&first[0]);
    assert!(text.contains("**Green Tea** `TEA` · 4.50 EUR · 10 in stock"), "{text}");
    assert!(text.contains("**Coffee** `COFFEE` · 4.50 EUR · ❌ out of stock"), "{text}");
    assert!(text.contains("**Cocoa** `COCOA` · 4.50 EUR · ⚠️ low stock: 3 left"), "{text}");

    // A change through the API, timed until the emulator's channel shows it.
    tokio::time::sleep(Duration::from_millis(1500)).await; // past the gap after the first post
    let started = Instant::now();
    w.adjust(tea, -3).await;
    until("the new number on Discord", 5, || async {
        w.shown().first().is_some_and(|t| t.contains("**Green Tea** `TEA` · 4.50 EUR · 7 in stock")).then_some(())
    })
    .await;
    let delay = started.elapsed();
    println!("STOCK_MESSAGE_DELAY backend={:?} api_change_to_discord_ms={}", w.app.backend, delay.as_millis());
    assert!(delay <= Duration::from_secs(2), "the change took {delay:?}");
    assert_eq!(w.live(w.stock)[0].id, first[0].id, "edited, not posted again");

    // Hidden: gone from the message and from /stock (list, one product, autocomplete).
    w.set_visible(coffee, false).await;
    until("Coffee to leave the stock message", 5, || async {
        w.shown().first().is_some_and(|t| !t.contains("Coffee")).then_some(())
    })
    .await;
    let (page, _) = w.slash_stock(vec![]).await;
    let shown = page["data"]["embeds"][0]["description"].as_str().unwrap().to_owned();
    assert!(shown.contains("Green Tea") && shown.contains("Cocoa") && !shown.contains("Coffee"), "{shown}");
    let (one, _) = w.slash_stock(vec![json!({"name": "product", "type": 3, "value": "COFFEE"})]).await;
    assert!(one["data"]["content"].as_str().unwrap().starts_with("No product matches"), "{one}");
    let (one, _) = w.slash_stock(vec![json!({"name": "product", "type": 3, "value": "cocoa"})]).await;
    assert_eq!(one["data"]["embeds"][0]["title"], "Cocoa");
    assert!(one["data"]["embeds"][0]["description"].as_str().unwrap().contains("low stock: 3 left"));
    let suggest = UserAction::Autocomplete {
        name: "stock".into(),
        option: "product".into(),
        value: "co".into(),
        options: vec![],
    };
    let (choices, _) = w.interact(suggest, w.general).await;
    assert_eq!(choices["type"], 8);
    let values: Vec<&str> =
        choices["data"]["choices"].as_array().unwrap().iter().map(|c| c["value"].as_str().unwrap()).collect();
    assert_eq!(values, ["COCOA"], "hidden Coffee is not offered");

    // !stock shows the same page; both forms are tracked.
    w.emulator.user_message(w.alice, w.general, "!stock").unwrap();
    let reply =
        until("the !stock reply", 10, || async { w.live(w.general).into_iter().find(|m| m.interaction_id.is_none()) })
            .await;
    assert!(description(&reply).contains("Cocoa") && !description(&reply).contains("Coffee"));
    let rows = until("the tracked commands", 10, || async {
        let rows = w.app.get("/api/v1/command-logs?command=stock").await.1["items"].as_array().cloned().unwrap();
        (rows.len() == 4).then_some(rows)
    })
    .await;
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["prefix", "slash", "slash", "slash"]);
    assert!(rows.iter().all(|r| r["outcome"] == "ok"), "{rows:?}");
    assert_eq!(rows[1]["arguments"], "product=String(\"cocoa\")");
    w.set_visible(cocoa, false).await;
    w.no_429s();
}

async fn five_hundred_changes_are_a_few_paced_edits_and_no_429(w: World) {
    let mug = w.product("MUG", "Mug", 1000).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let first = w.shows_the_catalogue(30).await;
    let before = w.edits();
    let started = Instant::now();
    for _ in 0..500 {
        w.adjust(mug, -1).await;
    }
    let sending = started.elapsed();
    let messages = w.shows_the_catalogue(10).await;
    // Let anything still due land before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let edits = w.edits() - before;
    println!("STOCK_BURST backend={:?} changes=500 sent_in_ms={} edits={edits}", w.app.backend, sending.as_millis());
    // The pacer's promise, whatever the machine's load (the changes take 3 to 10 s to send here):
    // at most WRITES_PER_WINDOW writes in any WINDOW, the last at most MAX_WAIT after the last
    // change, or one WINDOW later when that window is full — a handful of edits, never one per
    // change.
    let span = sending + stock_message::MAX_WAIT + stock_message::WINDOW;
    let windows = span.as_secs_f64() / stock_message::WINDOW.as_secs_f64();
    let bound = stock_message::WRITES_PER_WINDOW as u64 * windows.ceil() as u64;
    assert!((1..=bound).contains(&edits), "{edits} edits for 500 changes sent in {sending:?} (at most {bound})");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].id, first[0].id);
    assert_eq!(description(&messages[0]), "**Mug** `MUG` · 4.50 EUR · 500 in stock", "exactly right");
    assert_eq!(w.shown(), w.expected().await);
    w.no_429s();
}

async fn a_deleted_or_unknown_stock_message_is_posted_again(w: World) {
    let tea = w.product("TEA", "Green Tea", 10).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let first = w.shows_the_catalogue(30).await;

    // Deleted by a moderator: the gateway says so, a new one is posted.
    w.emulator.state().delete_message(w.stock, first[0].id).unwrap();
    let second =
        until("a new stock message", 10, || async { w.live(w.stock).into_iter().find(|m| m.id != first[0].id) }).await;
    assert_eq!(description(&second), description(&first[0]));

    // Discord answers an edit with 10008 Unknown Message: posted again, with the change.
    let fault = FaultAction::RestError {
        code: 10008,
        route: Some(RouteMatch::new("PATCH", MESSAGE_ROUTE)),
        times: Some(1),
        for_ms: None,
    };
    w.emulator.inject(FaultSpec::now(fault)).unwrap();
    w.adjust(tea, -1).await;
    let third = until("another stock message", 10, || async {
        w.live(w.stock).into_iter().find(|m| m.id != second.id && description(m).contains("9 in stock"))
    })
    .await;
    assert_eq!(w.live(w.stock).len(), 1, "the old one was deleted: {:?}", w.shown());
    assert_eq!(w.live(w.stock)[0].id, third.id);
    w.no_429s();
}

async fn a_refused_edit_30046_is_replaced_by_a_fresh_post(w: World) {
    let tea = w.product("TEA", "Green Tea", 10).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let first = w.shows_the_catalogue(30).await;
    let fault = FaultAction::RestError {
        code: 30046,
        route: Some(RouteMatch::new("PATCH", MESSAGE_ROUTE)),
        times: Some(1),
        for_ms: None,
    };
    w.emulator.inject(FaultSpec::now(fault)).unwrap();
    w.counted(POST, 1).await;
    w.adjust(tea, 5).await;
    let fresh = until("a fresh stock message", 10, || async {
        w.live(w.stock).into_iter().find(|m| m.id != first[0].id && description(m).contains("15 in stock"))
    })
    .await;
    w.counted(POST, 2).await;
    assert_eq!(w.live(w.stock).len(), 1, "the refused one was deleted");
    assert_eq!(fresh.edits, 0);
    // The next change edits the fresh one.
    w.adjust(tea, 1).await;
    until("16 in stock", 10, || async { w.shown().first().is_some_and(|t| t.contains("16 in stock")).then_some(()) })
        .await;
    assert_eq!(w.live(w.stock)[0].id, fresh.id);
    w.no_429s();
}

async fn a_restart_edits_the_same_message(w: World) {
    let tea = w.product("TEA", "Green Tea", 10).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let first = w.shows_the_catalogue(30).await;
    w.counted(POST, 1).await;
    let World { emulator, shop, alice, general, stock, news, app } = w;
    let app = app.restart().await;
    let w = World { emulator, shop, alice, general, stock, news, app };
    until("the bot to come back", 30, || async {
        let bots = w.app.get("/api/v1/bots").await.1;
        (bots["items"][0]["status"] == "running").then_some(())
    })
    .await;
    w.adjust(tea, -4).await;
    let after = until("6 in stock", 10, || async {
        w.live(w.stock).into_iter().find(|m| description(m).contains("**Green Tea** `TEA` · 4.50 EUR · 6 in stock"))
    })
    .await;
    assert_eq!(after.id, first[0].id, "the same message, edited");
    w.counted(EDIT, 1).await;
    assert_eq!(w.posts(), 1, "nothing posted after the restart");
    assert_eq!(w.live(w.stock).len(), 1);
    w.no_429s();
}

async fn a_large_catalogue_spans_several_messages_and_stock_pages_with_buttons(w: World) {
    let mut csv = String::from("sku,name,price_minor,currency,stock\n");
    for i in 1..=300 {
        csv.push_str(&format!("P-{i:03},Product {i:03} Deluxe Edition,1999,EUR,{}\n", i % 13));
    }
    let res = w
        .app
        .http
        .post(format!("{}/api/v1/products/import", w.app.url))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    w.bot(json!({"stock_channel_id": w.stock.to_string()})).await;
    let messages = w.shows_the_catalogue(60).await;
    assert!(messages.len() > 1, "300 products span several messages");
    let all = messages.iter().map(description).collect::<Vec<_>>().join("\n");
    for i in 1..=300 {
        assert_eq!(all.matches(&format!("`P-{i:03}`")).count(), 1, "P-{i:03} once");
    }
    for m in &messages {
        let chars: usize = m.embeds[0]["description"].as_str().unwrap().chars().count();
        assert!(chars <= 4096, "{chars} characters");
    }

    // A change in the middle edits only the message that shows it.
    let products = w.products().await;
    let p150 = products.iter().find(|p| p.sku == "P-150").unwrap();
    w.counted(POST, messages.len() as u64).await;
    assert_eq!(w.edits(), 0);
    w.adjust(p150.id, 100).await;
    w.shows_the_catalogue(10).await;
    w.counted(EDIT, 1).await;

    // /stock: page 1 of 30 with ◀ (disabled) / ▶; the buttons page through.
    let (page, message) = w.slash_stock(vec![]).await;
    assert_eq!(page["type"], 4);
    assert_eq!(page["data"]["embeds"][0]["title"], "🛒 Stock — page 1 of 30");
    assert_eq!(buttons(&page["data"]["components"]), ["stock:page:0", "stock:page:2"]);
    let message = message.unwrap();
    let second = w.press(w.general, message, "stock:page:2").await;
    assert_eq!(second["title"], "🛒 Stock — page 2 of 30");
    let text = second["description"].as_str().unwrap();
    assert!(text.contains("Product 011") && text.contains("Product 020") && !text.contains("Product 021"), "{text}");
    let back = w.press(w.general, message, "stock:page:1").await;
    assert_eq!(back["title"], "🛒 Stock — page 1 of 30");

    // !stock: page 1, and its buttons work the same.
    w.emulator.user_message(w.alice, w.general, "!stock").unwrap();
    let reply =
        until("the !stock reply", 10, || async { w.live(w.general).into_iter().find(|m| m.interaction_id.is_none()) })
            .await;
    assert_eq!(reply.embeds[0]["title"], "🛒 Stock — page 1 of 30");
    assert_eq!(buttons(&Value::Array(reply.components.clone())), ["stock:page:0", "stock:page:2"]);
    let last = w.press(w.general, reply.id, "stock:page:30").await;
    assert_eq!(last["title"], "🛒 Stock — page 30 of 30");

    // Autocomplete: at most 25 choices, those matching what was typed.
    for typed in ["", "product", "Product 01"] {
        let suggest = UserAction::Autocomplete {
            name: "stock".into(),
            option: "product".into(),
            value: typed.into(),
            options: vec![],
        };
        let (choices, _) = w.interact(suggest, w.general).await;
        let choices = choices["data"]["choices"].as_array().unwrap().clone();
        assert!(!choices.is_empty() && choices.len() <= 25, "{typed:?}: {} choices", choices.len());
        let typed = typed.to_lowercase();
        assert!(choices.iter().all(|c| c["name"].as_str().unwrap().to_lowercase().contains(&typed)));
    }
    let rows = until("the tracked button presses", 10, || async {
        let rows = w.app.get("/api/v1/command-logs?command=stock").await.1["items"].as_array().cloned().unwrap();
        (rows.len() == 5).then_some(rows)
    })
    .await;
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["component", "prefix", "component", "component", "slash"]);
    assert_eq!(rows[0]["arguments"], "stock:page:30");
    w.no_429s();
}

async fn back_in_stock_is_announced_only_where_asked(w: World) {
    let tea = w.product("TEA", "Green Tea", 0).await;
    let mug = w.product("MUG", "Mug", 3).await;
    let secret = w.product("SECRET", "Secret", 0).await;
    w.set_visible(secret, false).await;
    w.bot(json!({"stock_channel_id": w.stock.to_string(), "back_in_stock_channel_id": w.news.to_string()})).await;
    w.shows_the_catalogue(30).await;
    w.adjust(mug, 2).await; // 3 → 5: not "back"
    w.adjust(secret, 2).await; // hidden: not announced
    w.adjust(tea, 4).await; // 0 → 4: back
    let news = until("the announcement", 10, || async { w.live(w.news).into_iter().next() }).await;
    assert_eq!(news.content, "Back in stock: **Green Tea**");
    w.shows_the_catalogue(10).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(w.live(w.news).len(), 1, "announced once");
    assert!(w.live(w.general).is_empty() && w.live(w.stock).len() == 1, "nowhere else");
    w.no_429s();
}

async fn low_stock_channel_is_validated_audited_and_cleared(w: World) {
    let body = json!({"name": "Shop", "token": common::token("s"), "low_stock_channel_id": "42"});
    let (status, errors) = w.app.post("/api/v1/bots", body).await;
    assert_eq!(
        (status, &errors["error"]["fields"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("low_stock_channel_id"))
    );
    let (_, list) = w.app.get("/api/v1/bots").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "a refused bot is not saved");
    let body = json!({"name": "Shop", "token": common::token("s")});
    let (status, bot) = w.app.post("/api/v1/bots", body).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    assert_eq!(bot["low_stock_channel_id"], Value::Null, "off by default");
    let path = format!("/api/v1/bots/{}", bot["id"]);
    let patch = json!({"version": 1, "low_stock_channel_id": "not a channel"});
    let (status, errors) = w.app.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(
        (status, &errors["error"]["fields"][0]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("low_stock_channel_id"))
    );
    let patch = json!({"version": 1, "low_stock_channel_id": w.news.to_string()});
    let (status, bot) = w.app.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!((status, bot["low_stock_channel_id"].as_str()), (StatusCode::OK, Some(w.news.to_string().as_str())));
    assert_eq!(w.app.get(&path).await.1["low_stock_channel_id"], w.news.to_string());
    let (_, audit) = w.app.get("/api/v1/audit-logs?kind=action&action=bots.update").await;
    assert!(audit.to_string().contains("low_stock_channel_id"), "the change is audited: {audit}");
    let patch = json!({"version": 2, "name": "Shop 2"});
    let (_, bot) = w.app.call(Method::PATCH, &path, Some(patch)).await;
    assert_eq!(bot["low_stock_channel_id"], w.news.to_string(), "left out: kept");
    let (status, bot) =
        w.app.call(Method::PATCH, &path, Some(json!({"version": 3, "low_stock_channel_id": null}))).await;
    assert_eq!((status, &bot["low_stock_channel_id"]), (StatusCode::OK, &Value::Null), "null clears it");
    let (_, doc) = w.app.get("/api/openapi.json").await;
    for schema in ["CreateBot", "UpdateBot", "BotView"] {
        let properties = &doc["components"]["schemas"][schema]["properties"];
        assert!(properties.get("low_stock_channel_id").is_some(), "{schema}.low_stock_channel_id is documented");
    }
}

/// The bot's low-stock notices: (state, message id) by id.
async fn notices(store: &botfleet::store::Store) -> Vec<(String, Option<i64>)> {
    sqlx::query_as("SELECT state, message_id FROM low_stock_notices ORDER BY id").fetch_all(store.pool()).await.unwrap()
}

async fn low_stock_is_noticed_once_per_crossing_and_never_twice(w: World) {
    let tea = w.product("TEA", "Green Tea", 7).await; // low_stock_threshold: 5 by default
    let mug = w.product("MUG", "Mug", 20).await;
    w.bot(json!({
        "stock_channel_id": w.stock.to_string(),
        "back_in_stock_channel_id": w.general.to_string(),
        "low_stock_channel_id": w.news.to_string(),
    }))
    .await;
    w.shows_the_catalogue(30).await;
    let texts = |channel: u64| w.live(channel).iter().map(|m| m.content.clone()).collect::<Vec<_>>();
    // A render handles its notices before the catalogue, so a catalogue showing a change is the
    // moment its notice (or its absence) can be checked.
    w.adjust(tea, -1).await; // 7 → 6: above the threshold
    w.shows_the_catalogue(10).await;
    assert!(texts(w.news).is_empty(), "not low yet: {:?}", texts(w.news));
    w.adjust(tea, -1).await; // 6 → 5: falls to the threshold
    w.shows_the_catalogue(10).await;
    assert_eq!(texts(w.news), ["Low stock: **Green Tea** (`TEA`): 5 left (threshold 5)"]);
    w.adjust(tea, -2).await; // 5 → 3: further down
    w.shows_the_catalogue(10).await;
    w.adjust(tea, -3).await; // 3 → 0: out
    w.shows_the_catalogue(10).await;
    assert_eq!(texts(w.news).len(), 1, "no more while it stays low: {:?}", texts(w.news));
    w.adjust(tea, 2).await; // 0 → 2: back in stock, still low
    w.shows_the_catalogue(10).await;
    assert_eq!(texts(w.general), ["Back in stock: **Green Tea**"], "back in stock works as before");
    assert_eq!(texts(w.news).len(), 1);
    w.adjust(tea, 8).await; // 2 → 10: above again
    w.shows_the_catalogue(10).await;
    w.adjust(tea, -6).await; // 10 → 4: falls again
    w.shows_the_catalogue(10).await;
    assert_eq!(texts(w.news)[1..], ["Low stock: **Green Tea** (`TEA`): 4 left (threshold 5)"]);
    let set = json!({"set": 1, "version": w.products().await.iter().find(|p| p.id == mug).unwrap().version});
    let (status, body) = w.app.post(&format!("/api/v1/products/{mug}/stock"), set).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    w.shows_the_catalogue(10).await;
    assert_eq!(texts(w.news)[2..], ["Low stock: **Mug** (`MUG`): 1 left (threshold 5)"], "set counts too");
    let sent = w.live(w.news);
    assert_eq!(notices(&w.app.store).await.iter().filter(|n| n.0 == "sent").count(), 3);
    let posts = w.posts();

    // A crash between posting and recording it: the last notice is found "sending" at the next
    // start and sent again with its nonce (Discord gives the first message back); one whose first
    // try is older than the nonce window is given up instead of risking a duplicate.
    let url = w.app.database_url();
    let World { emulator, shop, alice, general, stock, news, app } = w;
    let app = app
        .restart_after(async move {
            let store = botfleet::store::Store::connect(&url).await.unwrap();
            let now = botfleet::time::now_ms();
            let ids: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM low_stock_notices ORDER BY id").fetch_all(store.pool()).await.unwrap();
            let reset =
                "UPDATE low_stock_notices SET state = 'sending', message_id = NULL, attempted_at = $2 WHERE id = $1";
            sqlx::query(reset).bind(ids[2].0).bind(now).execute(store.pool()).await.unwrap();
            sqlx::query(reset).bind(ids[1].0).bind(now - 600_000).execute(store.pool()).await.unwrap();
        })
        .await;
    let w = World { emulator, shop, alice, general, stock, news, app };
    w.running(w.app.get("/api/v1/bots").await.1["items"][0]["id"].as_i64().unwrap()).await;
    let states = until("the open notices to be settled", 30, || async {
        let n = notices(&w.app.store).await;
        n.iter().all(|(state, _)| state != "sending").then_some(n)
    })
    .await;
    assert_eq!(states[1], ("unknown".to_owned(), None), "too old to resend safely");
    assert_eq!(
        states[2],
        ("sent".to_owned(), Some(i64::try_from(sent[2].id).unwrap())),
        "the first message, given back"
    );
    w.counted(POST, posts + 1).await;
    assert_eq!(
        w.live(w.news).iter().map(|m| m.id).collect::<Vec<_>>(),
        sent.iter().map(|m| m.id).collect::<Vec<_>>(),
        "nothing posted twice"
    );
    // Still exactly once per crossing after the restart.
    w.adjust(mug, -1).await; // 1 → 0: still low
    w.adjust(tea, 20).await; // 4 → 24
    w.adjust(tea, -20).await; // 24 → 4
    until("the next crossing's notice", 10, || async { (w.live(w.news).len() == 4).then_some(()) }).await;
    w.shows_the_catalogue(10).await;
    assert_eq!(w.live(w.news).len(), 4);
    w.no_429s();
}

async fn servers_have_stock_channels_of_their_own_applied_at_once(w: World) {
    let e = &w.emulator;
    let partner = e.create_guild("Partner", w.alice).unwrap();
    let (p_stock, p_news, p_low) = (
        e.create_channel(partner, "partner-stock").unwrap(),
        e.create_channel(partner, "partner-news").unwrap(),
        e.create_channel(partner, "partner-low").unwrap(),
    );
    e.add_member(partner, w.shop.bot_user_id, vec![]).unwrap();
    let home = e.state().channels.get(&w.stock).unwrap().guild_id.unwrap();
    let tea = w.product("TEA", "Green Tea", 0).await;
    let mug = w.product("MUG", "Mug", 7).await; // low_stock_threshold: 5 by default
    let id = w
        .bot(json!({"stock_channel_id": w.stock.to_string(), "back_in_stock_channel_id": w.news.to_string(),
            "low_stock_channel_id": w.news.to_string()}))
        .await;
    w.shows_the_catalogue(30).await;
    let shows = |channel: u64| {
        let w = &w;
        async move {
            let expected = w.expected().await;
            until("a channel to show the catalogue", 15, || async {
                let shown: Vec<String> =
                    w.live(channel).iter().filter(|m| !m.embeds.is_empty()).map(description).collect();
                (shown == expected).then_some(())
            })
            .await;
        }
    };
    let texts = |channel: u64| w.live(channel).iter().map(|m| m.content.clone()).collect::<Vec<_>>();

    // The partner server gets channels of its own: the running bot keeps a catalogue there too.
    let partner_path = format!("/api/v1/bots/{id}/server-settings/{partner}");
    let put = json!({"version": 0, "stock_channel_id": p_stock.to_string(),
        "back_in_stock_channel_id": p_news.to_string(), "low_stock_channel_id": p_low});
    let (status, saved) = w.app.call(Method::PUT, &partner_path, Some(put)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["low_stock_channel_id"], p_low.to_string(), "a number is taken, a string given back");
    shows(p_stock).await;
    assert_eq!(w.live(w.stock).len(), 1, "the bot's own catalogue stays");
    let (_, audit) = w.app.get("/api/v1/audit-logs?action=bots.server_settings").await;
    assert_eq!(
        audit["items"][0]["changes"]["stock_channel_id"],
        json!({"old": null, "new": p_stock.to_string()}),
        "{audit}"
    );

    // Back in stock and low stock: in the bot's channels and the partner's, once each.
    w.adjust(tea, 3).await; // 0 → 3: back in stock (and low: 3 ≤ 5, but it did not fall)
    w.adjust(mug, -2).await; // 7 → 5: falls to the threshold
    shows(p_stock).await;
    w.shows_the_catalogue(10).await;
    let low = "Low stock: **Mug** (`MUG`): 5 left (threshold 5)";
    until("the announcements and notices", 10, || async {
        (texts(w.news).len() == 2 && texts(p_news).len() == 1 && texts(p_low).len() == 1).then_some(())
    })
    .await;
    assert_eq!(texts(p_news), ["Back in stock: **Green Tea**"]);
    assert_eq!(texts(p_low), [low]);
    let mut home_news = texts(w.news);
    home_news.sort();
    assert_eq!(home_news, ["Back in stock: **Green Tea**", low]);

    // The shop's own server gets a stock channel of its own: it replaces the bot's (in that
    // server): the catalogue moves to #general, the bot's #stock messages are deleted.
    let home_path = format!("/api/v1/bots/{id}/server-settings/{home}");
    let put = json!({"version": 0, "stock_channel_id": w.general.to_string()});
    let (status, saved) = w.app.call(Method::PUT, &home_path, Some(put)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    shows(w.general).await;
    until("the bot's own stock channel to be emptied", 15, || async { w.live(w.stock).is_empty().then_some(()) }).await;
    // Its low-stock channel is still the bot's (the server set none of its own).
    w.adjust(tea, -1).await; // 3 → 2: already low, no crossing
    w.adjust(mug, 10).await; // 5 → 15
    w.adjust(mug, -11).await; // 15 → 4: falls again
    let again = "Low stock: **Mug** (`MUG`): 4 left (threshold 5)";
    until("the second crossing's notices", 10, || async {
        (texts(w.news).len() == 3 && texts(p_low).len() == 2).then_some(())
    })
    .await;
    assert_eq!(texts(p_low)[1], again);

    // The partner's settings removed: its catalogue is deleted, at once.
    let (status, _) = w.app.call(Method::DELETE, &partner_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    until("the partner's catalogue to be deleted", 15, || async { w.live(p_stock).is_empty().then_some(()) }).await;
    shows(w.general).await;

    // The shop's server gets a low-stock channel of its own too: it replaces the bot's #news (in
    // that server). A crossing then is noticed in #general; its notice for #news is skipped. (The
    // first crossing may meet the stock task as it starts again; the second one certainly not.)
    let put = json!({"version": 1, "stock_channel_id": w.general.to_string(), "low_stock_channel_id": w.general});
    let (status, saved) = w.app.call(Method::PUT, &home_path, Some(put)).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let home_low = || texts(w.general).into_iter().filter(|t| t.starts_with("Low stock")).count();
    for crossing in 1..=2 {
        w.adjust(mug, 10).await; // 4 → 14
        w.adjust(mug, -10).await; // 14 → 4: falls again
        until("the crossing noticed in the server's own channel", 15, || async {
            (home_low() == crossing).then_some(())
        })
        .await;
    }
    shows(w.general).await;

    // Nothing twice: each notice once per channel, every notice settled.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!((texts(p_news).len(), texts(p_low).len(), home_low()), (1, 2, 2));
    let states: Vec<(String, i64)> = sqlx::query_as("SELECT state, channel_id FROM low_stock_notices ORDER BY id")
        .fetch_all(w.app.store.pool())
        .await
        .unwrap();
    let news = i64::try_from(w.news).unwrap();
    let sent_to_news = states.iter().filter(|(s, c)| s == "sent" && *c == news).count();
    assert_eq!(texts(w.news).len(), 1 + sent_to_news, "one message per notice sent: {states:?}");
    assert!(states.iter().all(|(state, _)| state == "sent" || state == "skipped"), "{states:?}");
    let last_for_news = states.iter().rev().find(|(_, c)| *c == news);
    assert_eq!(
        last_for_news.map(|(s, _)| s.as_str()),
        Some("skipped"),
        "the bot's channel, replaced by its server's own: {states:?}"
    );
    assert!(states.iter().filter(|(s, _)| s == "skipped").all(|(_, c)| *c == news), "{states:?}");
    w.no_429s();
}
