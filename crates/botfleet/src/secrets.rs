//! Secrets: a wrapper that never prints its content, and the AEAD that keeps bot tokens
//! encrypted at rest (XChaCha20-Poly1305, random 192-bit nonce per seal).
//!
//! The key comes from `BOTFLEET_SECRET_KEY` (32 bytes, base64 or hex) or from a key file created on
//! first run with mode 0600 in the data directory.

use std::fmt;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::error::{Error, Result};

/// A secret string. `Debug` and `Display` print `***`; `expose` is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself; call it only where it is sent to its one legitimate receiver.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Read from a request as a plain string (a passphrase), and from then on never printed.
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Additional data bound into every token ciphertext (a ciphertext of something else won't open).
const AAD: &[u8] = b"botfleet bot token v1";

/// Seals and opens bot tokens.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCipher(***)")
    }
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        STANDARD.decode(text).ok()?
    };
    bytes.try_into().ok()
}

impl TokenCipher {
    /// A cipher from a 32-byte key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { cipher: XChaCha20Poly1305::new(&key.into()) }
    }

    /// The configured key (`BOTFLEET_SECRET_KEY`), else the key file in `data_dir`, created with
    /// mode 0600 when missing.
    pub fn load(configured: Option<&Secret>, data_dir: &Path) -> Result<Self> {
        if let Some(secret) = configured {
            let key = parse_key(secret.expose()).ok_or_else(|| {
                Error::Config("BOTFLEET_SECRET_KEY must be 32 bytes, as base64 or 64 hex characters".into())
            })?;
            return Ok(Self::new(key));
        }
        let path = Self::key_file(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_key(&text)
                .map(Self::new)
                .ok_or_else(|| Error::Config(format!("{} does not hold a 32-byte base64 key", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_private(&path, &STANDARD.encode(key))?;
                tracing::info!(path = %path.display(), "created a new secret key file; back it up with the database");
                Ok(Self::new(key))
            }
            Err(e) => Err(Error::Config(format!("reading {}: {e}", path.display()))),
        }
    }

    /// A new random key (as base64, the key file's form) and its cipher.
    pub fn generate() -> (Secret, Self) {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        (Secret::new(STANDARD.encode(key)), Self::new(key))
    }

    /// The key file `load` uses in `data_dir` when no key is configured.
    pub fn key_file(data_dir: &Path) -> std::path::PathBuf {
        data_dir.join("secret.key")
    }

    /// Opens what this cipher sealed and seals it again with `to` (key rotation).
    pub fn reseal(&self, sealed: &str, to: &TokenCipher) -> Result<String> {
        to.seal(&self.open(sealed)?)
    }

    /// Encrypts a token: base64(nonce || ciphertext).
    pub fn seal(&self, token: &Secret) -> Result<String> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: token.expose().as_bytes(), aad: AAD })
            .map_err(|_| Error::Config("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(STANDARD.encode(out))
    }

    /// Decrypts what `seal` produced.
    pub fn open(&self, sealed: &str) -> Result<Secret> {
        let bytes = STANDARD.decode(sealed).map_err(|_| Error::Decrypt)?;
        if bytes.len() < 24 {
            return Err(Error::Decrypt);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: AAD })
            .map_err(|_| Error::Decrypt)?;
        String::from_utf8(plain).map(Secret).map_err(|_| Error::Decrypt)
    }
}

/// Creates a new, empty file readable by its owner only (mode 0600; fails if it exists).
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes a new file readable by its owner only (refuses to replace one).
pub fn write_private(path: &Path, content: &str) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Config(format!("creating {}: {e}", dir.display())))?;
    }
    let mut file = create_private(path).map_err(|e| Error::Config(format!("creating {}: {e}", path.display())))?;
    file.write_all(content.as_bytes()).map_err(|e| Error::Config(format!("writing {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_never_print() {
        let cipher = TokenCipher::new([7; 32]);
        let token = Secret::new("MTIz.abc.def");
        let sealed = cipher.seal(&token).unwrap();
        assert!(!sealed.contains("MTIz"));
        assert_ne!(sealed, cipher.seal(&token).unwrap(), "a fresh nonce each time");
        assert_eq!(cipher.open(&sealed).unwrap(), token);
        assert!(TokenCipher::new([8; 32]).open(&sealed).is_err(), "another key cannot open it");
        assert_eq!(format!("{token:?} {token}"), "*** ***");
    }

    #[test]
    fn keys_parse_from_base64_or_hex_only_at_32_bytes() {
        assert!(parse_key(&STANDARD.encode([1u8; 32])).is_some());
        assert!(parse_key(&"ab".repeat(32)).is_some());
        assert!(parse_key("short").is_none());
        assert!(parse_key(&STANDARD.encode([1u8; 16])).is_none());
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = TokenCipher::load(None, dir.path()).unwrap();
        let b = TokenCipher::load(None, dir.path()).unwrap();
        let sealed = a.seal(&Secret::new("t")).unwrap();
        assert_eq!(b.open(&sealed).unwrap().expose(), "t");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
