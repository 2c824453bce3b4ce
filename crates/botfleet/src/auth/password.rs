//! Passwords: argon2id with at least OWASP's parameters (m = 19 MiB, t = 2, p = 1), hashed and
//! verified off the async threads, plus the rules a new password must meet.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{Error, Result};
use crate::secrets::Secret;

/// Shortest password accepted.
pub const MIN_LEN: usize = 10;
/// Longest password accepted (characters); long passphrases are welcome.
pub const MAX_LEN: usize = 256;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password against the rules; the error names the field.
pub fn check_new(field: &str, password: &Secret) -> Result<()> {
    let n = password.expose().chars().count();
    if n < MIN_LEN {
        return Err(Error::field(field, format!("must be at least {MIN_LEN} characters")));
    }
    if n > MAX_LEN {
        return Err(Error::field(field, format!("must be at most {MAX_LEN} characters")));
    }
    Ok(())
}

/// The PHC string of an argon2id hash of `password` with a fresh salt.
pub async fn hash(password: &Secret) -> Result<String> {
    let password = password.clone();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        argon2()?
            .hash_password(password.expose().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Config(format!("hashing a password failed: {e}")))
    })
    .await
    .map_err(|e| Error::Config(format!("hashing task failed: {e}")))?
}

/// Whether `password` matches the stored PHC string (false for a malformed one).
pub async fn verify(password: &Secret, stored: &str) -> bool {
    let (password, stored) = (password.clone(), stored.to_owned());
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else { return false };
        argon2().is_ok_and(|a| a.verify_password(password.expose().as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let pw = Secret::new("correct horse battery staple");
        let h = hash(&pw).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify(&pw, &h).await);
        assert!(!verify(&Secret::new("wrong password!"), &h).await);
        assert!(!verify(&pw, "not a hash").await);
        assert!(hash(&pw).await.unwrap() != h, "salted");
    }

    #[test]
    fn rules() {
        assert!(check_new("password", &Secret::new("short")).is_err());
        assert!(check_new("password", &Secret::new("x".repeat(64))).is_ok());
        assert!(check_new("password", &Secret::new("x".repeat(257))).is_err());
    }
}
