//! Two-factor sign-in: RFC 6238 TOTP (SHA-1, 6 digits, 30 s — what every authenticator app
//! reads from an `otpauth://` URI or its QR code), one step of clock skew either way, each code
//! good once; and one-time recovery codes.

use base64::Engine;
use qrcode::render::svg;
use qrcode::QrCode;
use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

use super::token;
use crate::error::{Error, Result};

const STEP_SECONDS: i64 = 30;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8]) -> Result<TOTP> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret.to_vec()).map_err(|e| Error::Config(format!("TOTP secret: {e}")))
}

fn decode(secret_base32: &str) -> Result<Vec<u8>> {
    base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_base32)
        .ok_or_else(|| Error::Config("stored TOTP secret is not base32".into()))
}

/// A new secret: 160 random bits, base32 (what authenticator apps take).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &bytes)
}

/// The enrolment URI an authenticator app reads.
pub fn otpauth_uri(secret_base32: &str, username: &str) -> String {
    let account: String = username
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "otpauth://totp/botfleet:{account}?secret={secret_base32}&issuer=botfleet&algorithm=SHA1&digits=6&period=30"
    )
}

/// The URI as a QR code: an SVG document, and the same as a `data:` URL for an `<img>`.
pub fn qr_svg(uri: &str) -> Result<(String, String)> {
    let code = QrCode::new(uri.as_bytes()).map_err(|e| Error::Config(format!("QR code: {e}")))?;
    let svg = code.render::<svg::Color<'_>>().min_dimensions(200, 200).build();
    let data_url = format!("data:image/svg+xml;base64,{}", base64::engine::general_purpose::STANDARD.encode(&svg));
    Ok((svg, data_url))
}

/// The code an authenticator shows at `now_ms` (tests and the CLI use it as an app would).
pub fn code_at(secret_base32: &str, now_ms: i64) -> Result<String> {
    Ok(totp(&decode(secret_base32)?)?.generate(u64::try_from(now_ms / 1000).unwrap_or(0)))
}

/// The time step a code is valid for at `now_ms` (this step or one either side), if any.
pub fn matching_step(secret_base32: &str, code: &str, now_ms: i64) -> Result<Option<i64>> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(&decode(secret_base32)?)?;
    let now_step = now_ms / 1000 / STEP_SECONDS;
    for step in [now_step - 1, now_step, now_step + 1] {
        let at = u64::try_from(step * STEP_SECONDS).unwrap_or(0);
        if subtle::ConstantTimeEq::ct_eq(t.generate(at).as_bytes(), code.as_bytes()).into() {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// The step `now_ms` falls in.
pub fn step_at(now_ms: i64) -> i64 {
    now_ms / 1000 / STEP_SECONDS
}

/// Fresh recovery codes (`xxxxx-xxxxx`, 50 random bits each) in clear, to show once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 7];
            rand::rng().fill_bytes(&mut bytes);
            let text = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &bytes).to_lowercase();
            format!("{}-{}", &text[0..5], &text[5..10])
        })
        .collect()
}

/// How a recovery code is stored (case, spaces and dashes do not matter when typed).
pub fn recovery_digest(code: &str) -> String {
    let normal: String = code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    token::digest(&format!("recovery:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_neighbours_only() {
        let secret = new_secret();
        let now = 1_800_000_000_000;
        let code = code_at(&secret, now).unwrap();
        assert_eq!(matching_step(&secret, &code, now).unwrap(), Some(step_at(now)));
        assert_eq!(matching_step(&secret, &code, now + 30_000).unwrap(), Some(step_at(now)));
        assert_eq!(matching_step(&secret, &code, now + 90_000).unwrap(), None);
        assert_eq!(matching_step(&secret, "12345", now).unwrap(), None);
        assert_eq!(matching_step(&secret, "abcdef", now).unwrap(), None);
    }

    #[test]
    fn uri_qr_and_recovery_codes() {
        let secret = new_secret();
        let uri = otpauth_uri(&secret, "ann@shop");
        assert!(uri.starts_with("otpauth://totp/botfleet:ann%40shop?secret="), "{uri}");
        let (svg, data) = qr_svg(&uri).unwrap();
        assert!(svg.contains("<svg") && data.starts_with("data:image/svg+xml;base64,"));
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(recovery_digest(&codes[0]), recovery_digest(&codes[0].to_uppercase().replace('-', " ")));
    }
}
