//! Secrets in a configuration document: sealed under a key derived from a passphrase (argon2id
//! over a random salt kept in the document, then XChaCha20-Poly1305 per value), so a document
//! with secrets opens only with its passphrase, and a wrong one is an error, never garbage.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

use super::document::SecretsHeader;
use crate::error::{Error, FieldError, Result};
use crate::secrets::Secret;

/// Bound into every sealed value: a value sealed for something else does not open here.
const AAD: &[u8] = b"botfleet-config v1 secret";
/// What `check` seals.
const CHECK: &str = "botfleet-config";
/// OWASP's argon2id costs (as for passwords): 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;
/// The most an import accepts of a document's costs (a document must not make the server spend
/// a gigabyte or a minute).
const MOST_MEMORY_KIB: u32 = 256 * 1024;
const MOST_ITERATIONS: u32 = 10;
/// The shortest passphrase accepted.
pub const MIN_PASSPHRASE: usize = 12;

/// The key a passphrase opens, and seals with.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

fn derive(passphrase: &Secret, salt: &[u8], memory: u32, iterations: u32, lanes: u32) -> Result<Sealer> {
    let params = Params::new(memory, iterations, lanes, Some(32))
        .map_err(|e| Error::field("secrets", format!("the key derivation's costs are not usable: {e}")))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), salt, &mut key)
        .map_err(|e| Error::field("secrets", format!("the key could not be derived: {e}")))?;
    Ok(Sealer { cipher: XChaCha20Poly1305::new(&key.into()) })
}

/// The longest passphrase taken (the request schema says so too).
pub const MAX_PASSPHRASE: usize = 1024;

/// Refuses a passphrase too short to protect tokens, or longer than [`MAX_PASSPHRASE`].
pub fn check_passphrase(passphrase: &Secret) -> Result<()> {
    let n = passphrase.expose().chars().count();
    if !(MIN_PASSPHRASE..=MAX_PASSPHRASE).contains(&n) {
        return Err(Error::field("passphrase", format!("must be {MIN_PASSPHRASE} to {MAX_PASSPHRASE} characters")));
    }
    Ok(())
}

impl Sealer {
    /// A new key from `passphrase` with a fresh salt, and the header that lets an import make it again.
    pub fn create(passphrase: &Secret) -> Result<(Self, SecretsHeader)> {
        check_passphrase(passphrase)?;
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let sealer = derive(passphrase, &salt, MEMORY_KIB, ITERATIONS, PARALLELISM)?;
        let header = SecretsHeader {
            kdf: "argon2id".into(),
            memory_kib: MEMORY_KIB,
            iterations: ITERATIONS,
            parallelism: PARALLELISM,
            salt: STANDARD.encode(salt),
            cipher: "xchacha20poly1305".into(),
            check: sealer.seal(&Secret::new(CHECK))?,
        };
        Ok((sealer, header))
    }

    /// The key of a document's header; a wrong passphrase is a 422 on `passphrase`.
    pub fn open_header(header: &SecretsHeader, passphrase: &Secret) -> Result<Self> {
        let mut errors = Vec::new();
        if header.kdf != "argon2id" {
            errors.push(FieldError::new("secrets.kdf", "must be argon2id"));
        }
        if header.cipher != "xchacha20poly1305" {
            errors.push(FieldError::new("secrets.cipher", "must be xchacha20poly1305"));
        }
        if header.memory_kib > MOST_MEMORY_KIB || header.iterations > MOST_ITERATIONS || header.parallelism > 8 {
            errors.push(FieldError::new(
                "secrets",
                format!("the key derivation's costs are above what botfleet accepts ({MOST_MEMORY_KIB} KiB, {MOST_ITERATIONS} passes, 8 lanes)"),
            ));
        }
        let salt = STANDARD.decode(&header.salt).ok().filter(|s| s.len() >= 8);
        if salt.is_none() {
            errors.push(FieldError::new("secrets.salt", "must be base64 of at least 8 bytes"));
        }
        let Some(salt) = salt.filter(|_| errors.is_empty()) else { return Err(Error::Validation(errors)) };
        let sealer = derive(passphrase, &salt, header.memory_kib, header.iterations, header.parallelism)?;
        match sealer.open(&header.check) {
            Some(text) if text.expose() == CHECK => Ok(sealer),
            _ => Err(Error::field("passphrase", "does not open this document's secrets (a wrong passphrase?)")),
        }
    }

    /// base64(nonce ‖ ciphertext) of `value`.
    pub fn seal(&self, value: &Secret) -> Result<String> {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: value.expose().as_bytes(), aad: AAD })
            .map_err(|_| Error::Config("sealing a secret failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(STANDARD.encode(out))
    }

    /// What `seal` made; `None` when it does not open under this key.
    pub fn open(&self, sealed: &str) -> Option<Secret> {
        let bytes = STANDARD.decode(sealed).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: AAD }).ok()?;
        String::from_utf8(plain).ok().map(Secret::new)
    }

    /// Opens the sealed value at `field`, or notes why it could not.
    pub fn open_field(&self, sealed: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<Secret> {
        let opened = self.open(sealed);
        if opened.is_none() {
            errors.push(FieldError::new(field, "does not open with the passphrase (damaged?)"));
        }
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_passphrase_only() {
        let (sealer, header) = Sealer::create(&Secret::new("correct horse battery")).unwrap();
        let sealed = sealer.seal(&Secret::new("token-value")).unwrap();
        assert!(!sealed.contains("token-value"));
        let again = Sealer::open_header(&header, &Secret::new("correct horse battery")).unwrap();
        assert_eq!(again.open(&sealed).unwrap().expose(), "token-value");
        let Err(Error::Validation(e)) = Sealer::open_header(&header, &Secret::new("wrong horse battery")) else {
            panic!("a wrong passphrase must be refused")
        };
        assert_eq!(e[0].field, "passphrase");
        assert!(Sealer::create(&Secret::new("short")).is_err());
    }
}
