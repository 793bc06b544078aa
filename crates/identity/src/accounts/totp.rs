//! TOTP (RFC 6238) as authenticator apps expect it: a 160-bit secret shown in base32 and as
//! an `otpauth://` URI, HMAC-SHA-1, six digits, 30-second steps, one step of clock skew either
//! way, and each code accepted once (the caller keeps the last step used).

use publica_kernel::crypto::{constant_time_eq, random_bytes};
use totp_rs::{Algorithm, Builder, Secret, Totp};

pub const DIGITS: u8 = 6;
pub const STEP_SECONDS: u64 = 30;
pub const SKEW_STEPS: u64 = 1;
pub const SECRET_BYTES: usize = 20;

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_BYTES] {
    random_bytes::<SECRET_BYTES>()
}

fn totp(secret: [u8; SECRET_BYTES]) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS as u16)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::new_stack(secret))
        .build()
        .ok()
}

/// The code an authenticator shows at `unix` seconds.
pub fn code_at(secret: [u8; SECRET_BYTES], unix: u64) -> String {
    totp(secret).map(|t| t.generate(unix).to_string()).unwrap_or_default()
}

/// The time step a typed code belongs to, if it is valid at `unix` (± one step) and later than
/// `last_step` (a code already used, or an older one, is refused).
pub fn check(secret: [u8; SECRET_BYTES], typed: &str, unix: u64, last_step: Option<i64>) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret)?;
    let now = unix / STEP_SECONDS;
    let mut found = None;
    // Every step of the window is computed, whatever matches, so the time taken says nothing.
    for step in now.saturating_sub(SKEW_STEPS)..=now + SKEW_STEPS {
        let code = totp.generate(step * STEP_SECONDS).to_string();
        let fresh = last_step.is_none_or(|last| (step as i64) > last);
        if constant_time_eq(code.as_bytes(), typed.as_bytes()) && fresh && found.is_none() {
            found = Some(step as i64);
        }
    }
    found
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Read base32 as people copy it: any case, spaces and padding ignored; `None` otherwise.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=' && *c != '-') {
        let value = BASE32.iter().position(|&b| char::from(b) == c.to_ascii_uppercase())? as u32;
        buffer = ((buffer << 5) | value) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A 160-bit secret from its base32 form.
pub fn secret_from_base32(text: &str) -> Option<[u8; SECRET_BYTES]> {
    from_base32(text)?.try_into().ok()
}

/// The secret in groups of four characters, easier to type from the screen.
pub fn grouped(secret_base32: &str) -> String {
    secret_base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// The Key URI Format authenticator apps read (`otpauth://totp/Issuer:account?…`).
pub fn otpauth_uri(secret_base32: &str, issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let label: String = url::form_urlencoded::byte_serialize(label.as_bytes()).collect::<String>().replace('+', "%20");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", secret_base32)
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECONDS.to_string())
        .finish()
        .replace('+', "%20");
    format!("otpauth://totp/{label}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(raw.as_bytes()), encoded);
            assert_eq!(from_base32(encoded).expect("decodes"), raw.as_bytes());
            assert_eq!(from_base32(&format!("{}====", encoded.to_lowercase())).expect("decodes"), raw.as_bytes());
        }
        assert_eq!(from_base32("MZ1W"), None);
        let secret = new_secret();
        assert_eq!(secret_from_base32(&grouped(&base32(&secret))), Some(secret));
        assert_eq!(base32(&secret).len(), 32);
    }

    /// RFC 6238 appendix B, SHA-1 rows (the reference secret is the ASCII "12345678901234567890";
    /// the last six of the eight digits given there).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret: [u8; 20] = *b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(secret, time), code, "at {time}");
        }
    }

    #[test]
    fn codes_are_accepted_within_one_step_and_only_once() {
        let secret = new_secret();
        let now = 1_700_000_000u64;
        let step = (now / STEP_SECONDS) as i64;
        let current = code_at(secret, now);
        assert_eq!(check(secret, &current, now, None), Some(step));
        assert_eq!(check(secret, &current, now, Some(step)), None, "replay");
        let previous = code_at(secret, now - STEP_SECONDS);
        assert_eq!(check(secret, &previous, now, None), Some(step - 1), "one step late");
        assert_eq!(check(secret, &previous, now, Some(step)), None, "older than the last one used");
        let next = code_at(secret, now + STEP_SECONDS);
        assert_eq!(check(secret, &next, now, None), Some(step + 1), "one step early");
        let stale = code_at(secret, now - 3 * STEP_SECONDS);
        if stale != current && stale != previous {
            assert_eq!(check(secret, &stale, now, None), None, "too old");
        }
        assert_eq!(check(secret, "12345", now, None), None);
        assert_eq!(check(secret, "abcdef", now, None), None);
        assert_eq!(check(secret, &format!("{} {}", &current[..3], &current[3..]), now, None), Some(step));
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("JBSWY3DPEHPK3PXP", "Publica", "ana@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Publica%3Aana%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Publica&algorithm=SHA1&digits=6&period=30"
        );
    }
}
