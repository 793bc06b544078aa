//! DKIM signing keys (RFC 6376 relaxed/relaxed, SHA-256): reads the configured PEM key (PKCS#1
//! or PKCS#8, RSA or Ed25519) into lettre's DKIM configuration.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm, DkimSigningKey,
};
use lettre::message::header::HeaderName;

use super::technical;
use crate::delivery::DeliveryError;

/// DKIM signing (RFC 6376, relaxed/relaxed, SHA-256).
#[derive(Clone, PartialEq, Eq)]
pub struct DkimSettings {
    /// The `s=` tag: the key is published at `{selector}._domainkey.{domain}`.
    pub selector: String,
    /// The `d=` tag: should be the From domain or a parent of it for DMARC alignment.
    pub domain: String,
    /// PEM: `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8, RSA or Ed25519).
    pub private_key_pem: String,
}

impl std::fmt::Debug for DkimSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimSettings")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("private_key_pem", &"<redacted>")
            .finish()
    }
}

/// Headers covered by the DKIM signature; absent ones are signed as absent, so they cannot be added later.
const SIGNED_HEADERS: [&str; 10] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Reads the PEM key into lettre's DKIM configuration.
pub(super) fn dkim_config(settings: &DkimSettings) -> Result<DkimConfig, DeliveryError> {
    let valid_label =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    if !valid_label(&settings.selector) {
        return Err(technical(format!("DKIM selector {:?} is not a DNS label: e.g. notify2025", settings.selector)));
    }
    if !valid_label(&settings.domain) || !settings.domain.contains('.') {
        return Err(technical(format!("DKIM domain {:?} is not a domain: e.g. agency.example", settings.domain)));
    }
    let key = dkim_signing_key(&settings.private_key_pem)?;
    let headers = SIGNED_HEADERS.iter().map(|h| HeaderName::new_from_ascii_str(h)).collect();
    let canonicalization =
        DkimCanonicalization { header: DkimCanonicalizationType::Relaxed, body: DkimCanonicalizationType::Relaxed };
    Ok(DkimConfig::new(settings.selector.clone(), settings.domain.to_ascii_lowercase(), key, headers, canonicalization))
}

const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];

fn dkim_signing_key(pem: &str) -> Result<DkimSigningKey, DeliveryError> {
    let (label, der) = pem_decode(pem)?;
    let rsa = |pkcs1: &[u8]| {
        DkimSigningKey::new(&pem_encode("RSA PRIVATE KEY", pkcs1), DkimSigningAlgorithm::Rsa)
            .map_err(|e| technical(format!("DKIM RSA private key is invalid: {e}")))
    };
    match label.as_str() {
        "RSA PRIVATE KEY" => rsa(&der),
        "PRIVATE KEY" => {
            let invalid = || technical("DKIM private key is not a PKCS#8 RSA or Ed25519 key");
            let (algorithm, key) = pkcs8_private_key(&der).ok_or_else(invalid)?;
            if algorithm == OID_RSA_ENCRYPTION {
                rsa(key)
            } else if algorithm == OID_ED25519 {
                // CurvePrivateKey ::= OCTET STRING (the 32-byte seed), RFC 8410.
                match der_element(key) {
                    Some((0x04, seed, [])) if seed.len() == 32 => {
                        DkimSigningKey::new(&BASE64.encode(seed), DkimSigningAlgorithm::Ed25519)
                            .map_err(|e| technical(format!("DKIM Ed25519 private key is invalid: {e}")))
                    }
                    _ => Err(invalid()),
                }
            } else {
                Err(technical("DKIM private key is neither RSA nor Ed25519 (the two DKIM algorithms)"))
            }
        }
        "ENCRYPTED PRIVATE KEY" => {
            Err(technical("DKIM private key is encrypted: decrypt it (openssl pkey -in key.pem -out plain.pem)"))
        }
        other => Err(technical(format!("DKIM private key is a {other:?} PEM: give a PRIVATE KEY or RSA PRIVATE KEY"))),
    }
}

/// The first PEM block: its label and DER content.
fn pem_decode(pem: &str) -> Result<(String, Vec<u8>), DeliveryError> {
    let missing =
        || technical("DKIM private key is not PEM: expected -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY-----");
    let start = pem.find("-----BEGIN ").ok_or_else(missing)?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----").ok_or_else(missing)?;
    let label = rest[..label_end].to_owned();
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----")).ok_or_else(missing)?;
    let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = BASE64.decode(b64).map_err(|e| technical(format!("DKIM private key PEM is not base64: {e}")))?;
    Ok((label, der))
}

fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// One DER element: (tag, content, rest).
fn der_element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// PKCS#8 PrivateKeyInfo (RFC 5208/5958): the algorithm OID and the inner private key bytes.
fn pkcs8_private_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, info, _) = der_element(der)? else { return None };
    let (0x02, _version, rest) = der_element(info)? else { return None };
    let (0x30, algorithm, rest) = der_element(rest)? else { return None };
    let (0x06, oid, _) = der_element(algorithm)? else { return None };
    let (0x04, key, _) = der_element(rest)? else { return None };
    Some((oid, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_read() {
        let long = [&[0x04, 0x82, 0x01, 0x00][..], &[7u8; 256]].concat();
        let (tag, content, rest) = der_element(&long).expect("parsed");
        assert_eq!((tag, content.len(), rest.len()), (0x04, 256, 0));
        assert!(der_element(&[0x04, 0x05, 1, 2]).is_none());
        assert!(pkcs8_private_key(&[0x30, 0x00]).is_none());
    }

    #[test]
    fn selector_and_domain_are_checked() {
        let settings = |selector: &str, domain: &str| DkimSettings {
            selector: selector.into(),
            domain: domain.into(),
            private_key_pem: "not a key".into(),
        };
        assert!(
            matches!(dkim_config(&settings("s 1", "agency.example")), Err(DeliveryError::Technical(m)) if m.contains("selector"))
        );
        assert!(
            matches!(dkim_config(&settings("s1", "localhost")), Err(DeliveryError::Technical(m)) if m.contains("domain"))
        );
        assert!(
            matches!(dkim_config(&settings("s1", "agency.example")), Err(DeliveryError::Technical(m)) if m.contains("PEM"))
        );
    }
}
