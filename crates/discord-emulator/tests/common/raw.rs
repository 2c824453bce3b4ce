//! A bare WebSocket gateway client for protocol tests: it sends exactly the payloads a test
//! gives it and reports every frame and close code, decoding zlib-stream and zstd-stream.

#![allow(dead_code)]

use std::io::Read;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server sent next.
#[derive(Debug)]
pub enum Frame {
    Payload(Value),
    Close(Option<u16>),
}

enum Decoder {
    Plain,
    Zlib(Vec<u8>),
    Zstd(Box<zstd::stream::raw::Decoder<'static>>),
}

pub struct Raw {
    ws: Ws,
    decoder: Decoder,
}

impl Raw {
    /// Connects with a query string such as `v=10&encoding=json`.
    pub async fn connect(gateway: &str, query: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("{gateway}/?{query}")).await.expect("gateway accepts");
        let decoder = if query.contains("zlib-stream") {
            Decoder::Zlib(Vec::new())
        } else if query.contains("zstd-stream") {
            Decoder::Zstd(Box::new(zstd::stream::raw::Decoder::new().unwrap()))
        } else {
            Decoder::Plain
        };
        Self { ws, decoder }
    }

    /// Connects (`v=10&encoding=json`) and reads Hello.
    pub async fn hello(gateway: &str) -> Self {
        let mut raw = Self::connect(gateway, "v=10&encoding=json").await;
        let hello = raw.payload().await;
        assert_eq!(hello["op"], 10);
        raw
    }

    pub async fn send(&mut self, v: Value) {
        self.ws.send(Message::Text(v.to_string().into())).await.unwrap();
    }

    pub async fn send_raw(&mut self, m: Message) {
        let _ = self.ws.send(m).await;
    }

    /// The next frame within 10 s.
    pub async fn frame(&mut self) -> Frame {
        loop {
            let next =
                tokio::time::timeout(Duration::from_secs(10), self.ws.next()).await.expect("a frame within 10 s");
            let text = match next {
                None | Some(Err(_)) => return Frame::Close(None),
                Some(Ok(Message::Close(frame))) => return Frame::Close(frame.map(|f| u16::from(f.code))),
                Some(Ok(Message::Text(t))) => t.to_string(),
                Some(Ok(Message::Binary(b))) => self.decode(&b),
                Some(Ok(_)) => continue,
            };
            return Frame::Payload(serde_json::from_str(&text).expect("server sends JSON"));
        }
    }

    fn decode(&mut self, bytes: &[u8]) -> String {
        match &mut self.decoder {
            Decoder::Plain => panic!("binary frame without compression"),
            Decoder::Zlib(all) => {
                assert!(bytes.ends_with(&[0, 0, 0xff, 0xff]), "zlib-stream messages end with a sync flush");
                let before = all.len();
                all.extend_from_slice(bytes);
                let mut out = Vec::new();
                let _ = flate2::read::ZlibDecoder::new(&all[..]).read_to_end(&mut out);
                let mut prev = Vec::new();
                let _ = flate2::read::ZlibDecoder::new(&all[..before]).read_to_end(&mut prev);
                String::from_utf8(out[prev.len()..].to_vec()).unwrap()
            }
            Decoder::Zstd(dec) => {
                let mut out = vec![0u8; 1 << 20];
                let status = zstd::stream::raw::Operation::run_on_buffers(dec.as_mut(), bytes, &mut out).unwrap();
                String::from_utf8(out[..status.bytes_written].to_vec()).unwrap()
            }
        }
    }

    /// The next payload (fails on a close).
    pub async fn payload(&mut self) -> Value {
        match self.frame().await {
            Frame::Payload(v) => v,
            Frame::Close(code) => panic!("expected a payload, got close {code:?}"),
        }
    }

    /// The next dispatch of type `t`, skipping others.
    pub async fn dispatch(&mut self, t: &str) -> Value {
        loop {
            let p = self.payload().await;
            if p["op"] == 0 && p["t"] == t {
                return p;
            }
        }
    }

    /// Reads until the server closes; returns the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            if let Frame::Close(code) = self.frame().await {
                return code;
            }
        }
    }

    pub async fn identify(&mut self, token: &str, intents: u64) {
        self.send(json!({"op": 2, "d": {"token": token, "intents": intents,
            "properties": {"os": "linux", "browser": "raw", "device": "raw"}}}))
            .await;
    }

    /// Identifies and returns (session id, READY payload).
    pub async fn ready(&mut self, token: &str, intents: u64) -> (String, Value) {
        self.identify(token, intents).await;
        let ready = self.dispatch("READY").await;
        (ready["d"]["session_id"].as_str().unwrap().to_owned(), ready)
    }

    pub async fn resume(&mut self, token: &str, session: &str, seq: u64) {
        self.send(json!({"op": 6, "d": {"token": token, "session_id": session, "seq": seq}})).await;
    }

    /// Closes from the client side with a code.
    pub async fn close(mut self, code: u16) {
        let frame =
            tokio_tungstenite::tungstenite::protocol::CloseFrame { code: CloseCode::from(code), reason: "".into() };
        let _ = self.ws.close(Some(frame)).await;
        while let Some(Ok(_)) = self.ws.next().await {}
    }
}
