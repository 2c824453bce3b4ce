//! A webhook receiver for tests: an HTTP server on 127.0.0.1:0 that records every request and
//! answers 500 to the first `fail_first` (or to all while `failing` is set); `payloads` checks
//! each request's HMAC signature against the secret before handing its JSON back.

#![allow(dead_code)] // each test file uses part of it

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::common::until;

/// See the module doc.
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    pub fail_first: Arc<AtomicUsize>,
    /// Every request answers 500 while set.
    pub failing: Arc<AtomicBool>,
    pub url: String,
    secret: String,
}

impl Receiver {
    pub async fn start(secret: &str, fail_first: usize) -> Self {
        let mut r = Receiver {
            fail_first: Arc::new(AtomicUsize::new(fail_first)),
            secret: secret.to_owned(),
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        r.url = format!("http://{}/hooks/botfleet", listener.local_addr().unwrap());
        let state = r.clone();
        let app = axum::Router::new().route(
            "/hooks/botfleet",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move {
                    state.got.lock().unwrap().push((headers, body));
                    let failing =
                        state.fail_first.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
                    if failing.is_ok() || state.failing.load(Ordering::SeqCst) {
                        StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    /// Requests received so far.
    pub fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }

    /// Every request's JSON, after checking its signature.
    pub fn payloads(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(headers, body)| {
                let sig = headers["x-botfleet-signature"].to_str().unwrap();
                let (t, v1) = sig.split_once(",v1=").unwrap();
                let t = t.strip_prefix("t=").unwrap();
                let mut mac = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()).unwrap();
                mac.update(format!("{t}.").as_bytes());
                mac.update(body);
                let want: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
                assert_eq!(v1, want, "the signature covers the timestamp and the body");
                let payload: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(headers["x-botfleet-event"].to_str().unwrap(), payload["type"]);
                payload
            })
            .collect()
    }

    pub fn kinds(&self) -> Vec<String> {
        self.payloads().iter().map(|p| p["type"].as_str().unwrap().to_owned()).collect()
    }

    pub async fn wait_for(&self, kinds: &[&str]) {
        let r = self.clone();
        until(&format!("the receiver to get {kinds:?}"), 30, || {
            let r = r.clone();
            async move { (r.count() >= kinds.len()).then_some(()) }
        })
        .await;
        assert_eq!(self.kinds(), kinds);
    }
}
