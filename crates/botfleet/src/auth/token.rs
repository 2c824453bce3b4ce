//! Random credentials (session ids, API keys, login challenges, recovery codes): 256 bits from
//! a CSPRNG seeded by the operating system, and the SHA-256 under which they are stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// 32 random bytes, base64url (43 characters).
pub fn random() -> String {
    let mut bytes = [0u8; 32];
    // ThreadRng: ChaCha12, seeded and periodically reseeded from the OS: a CSPRNG.
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form: SHA-256, hex. (These credentials are random, so a fast hash is enough.)
pub fn digest(credential: &str) -> String {
    Sha256::digest(credential.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_and_digest() {
        let (a, b) = (random(), random());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
