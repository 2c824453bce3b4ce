//! Transport compression as Discord does it: `zlib-stream` (one deflate stream per connection,
//! each message ending in a sync flush `00 00 ff ff`) and `zstd-stream` (one zstd frame per
//! connection, each message a flushed block), both sent as binary frames; plain text otherwise.

use std::io::Write;

use axum::extract::ws::{Message, Utf8Bytes};

/// The per-connection compressor chosen by the `compress` query parameter.
pub enum Encoder {
    /// Text frames, no compression.
    Plain,
    /// `compress=zlib-stream`.
    Zlib(Box<flate2::write::ZlibEncoder<Vec<u8>>>),
    /// `compress=zstd-stream`.
    Zstd(Box<zstd::stream::write::Encoder<'static, Vec<u8>>>),
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain => "Plain",
            Self::Zlib(_) => "Zlib",
            Self::Zstd(_) => "Zstd",
        })
    }
}

impl Encoder {
    /// The encoder for a `compress` query value; `Err` names an unsupported value.
    pub fn for_query(compress: Option<&str>) -> Result<Self, String> {
        match compress {
            None | Some("") => Ok(Self::Plain),
            Some("zlib-stream") => {
                Ok(Self::Zlib(Box::new(flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default()))))
            }
            Some("zstd-stream") => zstd::stream::write::Encoder::new(Vec::new(), 3)
                .map(|e| Self::Zstd(Box::new(e)))
                .map_err(|e| format!("zstd: {e}")),
            Some(other) => Err(format!("unsupported compress value {other:?}")),
        }
    }

    /// Encodes one payload into the frame to send.
    pub fn encode(&mut self, payload: &str) -> std::io::Result<Message> {
        match self {
            Self::Plain => Ok(Message::Text(payload.into())),
            _ => self.compress(payload),
        }
    }

    /// Encodes a shared payload (a queued dispatch): sent as it is when uncompressed, not copied.
    pub fn encode_shared(&mut self, payload: Utf8Bytes) -> std::io::Result<Message> {
        match self {
            Self::Plain => Ok(Message::Text(payload)),
            _ => self.compress(&payload),
        }
    }

    fn compress(&mut self, payload: &str) -> std::io::Result<Message> {
        match self {
            Self::Plain => Ok(Message::Text(payload.into())),
            Self::Zlib(enc) => {
                enc.write_all(payload.as_bytes())?;
                enc.flush()?; // flate2's flush is a sync flush: the chunk ends in 00 00 ff ff
                Ok(Message::Binary(std::mem::take(enc.get_mut()).into()))
            }
            Self::Zstd(enc) => {
                enc.write_all(payload.as_bytes())?;
                enc.flush()?; // ZSTD_e_flush: a complete block the client can decode now
                Ok(Message::Binary(std::mem::take(enc.get_mut()).into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn bytes(m: Message) -> Vec<u8> {
        match m {
            Message::Binary(b) => b.to_vec(),
            other => panic!("expected binary, got {other:?}"),
        }
    }

    #[test]
    fn zlib_stream_messages_end_in_sync_marker_and_decode_in_sequence() {
        let mut enc = Encoder::for_query(Some("zlib-stream")).unwrap();
        let mut all = Vec::new();
        for p in [r#"{"op":10}"#, r#"{"op":11}"#] {
            let b = bytes(enc.encode(p).unwrap());
            assert!(b.ends_with(&[0, 0, 0xff, 0xff]));
            all.extend(b);
        }
        let mut out = Vec::new();
        let mut dec = flate2::read::ZlibDecoder::new(&all[..]);
        let _ = dec.read_to_end(&mut out);
        assert_eq!(String::from_utf8_lossy(&out), r#"{"op":10}{"op":11}"#);
    }

    #[test]
    fn zstd_stream_messages_decode_one_by_one() {
        let mut enc = Encoder::for_query(Some("zstd-stream")).unwrap();
        let mut dec = zstd::stream::raw::Decoder::new().unwrap();
        for p in [r#"{"op":10}"#, r#"{"op":0,"t":"READY"}"#] {
            let b = bytes(enc.encode(p).unwrap());
            let mut out = vec![0u8; 1024];
            let status = zstd::stream::raw::Operation::run_on_buffers(&mut dec, &b, &mut out).unwrap();
            assert_eq!(&out[..status.bytes_written], p.as_bytes());
        }
    }

    #[test]
    fn unknown_compression_is_refused() {
        assert!(Encoder::for_query(Some("gzip")).is_err());
        assert!(matches!(Encoder::for_query(None), Ok(Encoder::Plain)));
    }
}
