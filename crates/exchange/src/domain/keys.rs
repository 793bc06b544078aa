//! Clients' public keys: accepted as PEM (`BEGIN PUBLIC KEY`, X.509 SubjectPublicKeyInfo) or as
//! a JWK, for RS256 (RSA of at least 2048 bits) and ES256 (P-256), stored as a minimal JWK
//! (RFC 7638 members) and parsed once into aws-lc-rs keys for verification.

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use publica_kernel::crypto::{Alg, b64url, jwk_thumbprint};
use publica_kernel::error::Error;
use serde_json::{Value, json};

/// The DER prefix of a P-256 SubjectPublicKeyInfo holding an uncompressed point: SEQUENCE,
/// AlgorithmIdentifier (id-ecPublicKey, prime256v1), BIT STRING of 66 bytes.
const P256_SPKI_PREFIX: [u8; 27] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
];

/// JWK members that only a private key has.
const PRIVATE_MEMBERS: [&str; 6] = ["d", "p", "q", "dp", "dq", "qi"];

/// A client's public key, checked and reduced to what verification needs.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientPublicKey {
    pub kid: String,
    pub alg: Alg,
    /// The required members only (`kty`, `n`, `e` or `kty`, `crv`, `x`, `y`), in RFC 7638 order.
    pub jwk: Value,
}

/// Read a key from a PEM text or a JWK (exactly one), naming the field at fault. Without a
/// `kid`, the key's RFC 7638 thumbprint is its id.
pub fn parse_client_key(pem: Option<&str>, jwk: Option<&Value>, kid: Option<&str>) -> Result<ClientPublicKey, Error> {
    let (alg, canonical, jwk_kid) = match (pem, jwk) {
        (Some(pem), None) => {
            let (alg, jwk) = from_pem(pem)?;
            (alg, jwk, None)
        }
        (None, Some(jwk)) => from_jwk(jwk)?,
        (Some(_), Some(_)) => return Err(Error::invalid("pem", "send either `pem` or `jwk`, not both")),
        (None, None) => {
            return Err(Error::invalid("pem", "send the public key as `pem` (-----BEGIN PUBLIC KEY-----) or as `jwk`"));
        }
    };
    let kid = match kid.or(jwk_kid.as_deref()) {
        Some(kid) => check_kid(kid)?,
        None => jwk_thumbprint(&canonical),
    };
    Ok(ClientPublicKey { kid, alg, jwk: canonical })
}

fn check_kid(kid: &str) -> Result<String, Error> {
    let ok = (1..=128).contains(&kid.len()) && kid.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(kid.to_string())
    } else {
        Err(Error::invalid("kid", "use 1 to 128 visible ASCII characters, or leave it out to use the key's thumbprint"))
    }
}

fn from_pem(pem: &str) -> Result<(Alg, Value), Error> {
    let pem = pem.trim();
    if pem.contains("PRIVATE KEY") {
        return Err(Error::invalid("pem", "this is a private key: register only the public key (BEGIN PUBLIC KEY)"));
    }
    let body: String = pem.lines().map(str::trim).filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().concat();
    if !pem.starts_with("-----BEGIN ") {
        return Err(Error::invalid("pem", "expected a PEM block starting with -----BEGIN PUBLIC KEY-----"));
    }
    let der = STANDARD.decode(body.as_bytes()).map_err(|_| Error::invalid("pem", "the PEM body is not base64"))?;
    from_spki_der(&der)
}

/// A SubjectPublicKeyInfo (or PKCS#1 RSAPublicKey) in DER.
fn from_spki_der(der: &[u8]) -> Result<(Alg, Value), Error> {
    if let Ok(rsa) = aws_lc_rs::rsa::PublicKey::from_der(der) {
        let n = rsa.modulus().big_endian_without_leading_zero().to_vec();
        let e = rsa.exponent().big_endian_without_leading_zero().to_vec();
        return rsa_jwk(&n, &e, "pem");
    }
    if der.len() == P256_SPKI_PREFIX.len() + 64 && der.starts_with(&P256_SPKI_PREFIX) {
        let point = &der[P256_SPKI_PREFIX.len() - 1..];
        return ec_jwk(&point[1..33], &point[33..65], "pem");
    }
    if ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, der).is_ok() {
        return Err(Error::invalid("pem", "give the P-256 key with its point uncompressed (openssl ec -pubout)"));
    }
    Err(Error::invalid("pem", "not an RSA or P-256 public key; RS256 and ES256 are accepted"))
}

fn from_jwk(jwk: &Value) -> Result<(Alg, Value, Option<String>), Error> {
    let Some(obj) = jwk.as_object() else {
        return Err(Error::invalid("jwk", "a JWK is a JSON object"));
    };
    if PRIVATE_MEMBERS.iter().any(|m| obj.contains_key(*m)) {
        return Err(Error::invalid("jwk", "this JWK holds a private key: register only the public members"));
    }
    if let Some(usage) = obj.get("use").and_then(Value::as_str)
        && usage != "sig"
    {
        return Err(Error::invalid("jwk/use", "a client key signs: `use` must be `sig`"));
    }
    let bytes = |name: &str| -> Result<Vec<u8>, Error> {
        let text = obj
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(format!("jwk/{name}"), "missing (a base64url string)"))?;
        URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| Error::invalid(format!("jwk/{name}"), "not base64url"))
    };
    let (alg, canonical) = match obj.get("kty").and_then(Value::as_str) {
        Some("RSA") => {
            let n = bytes("n")?;
            let e = bytes("e")?;
            rsa_jwk(strip_zeros(&n), strip_zeros(&e), "jwk")?
        }
        Some("EC") => {
            if obj.get("crv").and_then(Value::as_str) != Some("P-256") {
                return Err(Error::invalid("jwk/crv", "only P-256 is accepted (ES256)"));
            }
            let (x, y) = (bytes("x")?, bytes("y")?);
            if x.len() != 32 || y.len() != 32 {
                return Err(Error::invalid("jwk/x", "P-256 coordinates are 32 bytes each"));
            }
            ec_jwk(&x, &y, "jwk")?
        }
        _ => return Err(Error::invalid("jwk/kty", "`kty` must be RSA (RS256) or EC (ES256)")),
    };
    if let Some(declared) = obj.get("alg").and_then(Value::as_str)
        && declared != alg.as_str()
    {
        return Err(Error::invalid(
            "jwk/alg",
            format!("a {} key signs with {}, not {declared}", canonical["kty"], alg),
        ));
    }
    let kid = obj.get("kid").and_then(Value::as_str).map(str::to_string);
    Ok((alg, canonical, kid))
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn rsa_jwk(n: &[u8], e: &[u8], field: &str) -> Result<(Alg, Value), Error> {
    if n.len() * 8 < 2048 {
        return Err(Error::invalid(
            field,
            format!("an RSA key of {} bits is too short: use 2048 bits or more", n.len() * 8),
        ));
    }
    if n.len() * 8 > 8192 {
        return Err(Error::invalid(field, "RSA keys longer than 8192 bits are not accepted"));
    }
    let components = aws_lc_rs::rsa::PublicKeyComponents { n, e };
    let der: PublicKeyX509Der<'static> =
        components.as_der().map_err(|_| Error::invalid(field, "not a valid RSA public key"))?;
    ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der.as_ref())
        .map_err(|_| Error::invalid(field, "not a valid RSA public key"))?;
    Ok((Alg::RS256, json!({ "e": b64url(e), "kty": "RSA", "n": b64url(n) })))
}

fn ec_jwk(x: &[u8], y: &[u8], field: &str) -> Result<(Alg, Value), Error> {
    let mut point = Vec::with_capacity(65);
    point.push(4u8);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &point)
        .map_err(|_| Error::invalid(field, "the point is not on the P-256 curve"))?;
    Ok((Alg::ES256, json!({ "crv": "P-256", "kty": "EC", "x": b64url(x), "y": b64url(y) })))
}

/// A stored JWK parsed for verification, or `None` when it is not a key of `alg`.
pub fn verifying_key(alg: Alg, jwk: &Value) -> Option<ParsedPublicKey> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok());
    match alg {
        Alg::RS256 => {
            let (n, e) = (field("n")?, field("e")?);
            let der = aws_lc_rs::rsa::PublicKeyComponents { n: &n, e: &e }.as_der().ok()?;
            ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der.as_ref()).ok()
        }
        Alg::ES256 => {
            let (x, y) = (field("x")?, field("y")?);
            let mut point = vec![4u8];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).ok()
        }
        Alg::EdDSA => None,
    }
}

#[cfg(test)]
mod tests {
    use publica_kernel::crypto::PrivateKey;

    use super::*;

    fn spki_pem(key: &PrivateKey) -> String {
        let der = match key {
            PrivateKey::Rsa(k) => {
                use aws_lc_rs::signature::KeyPair;
                k.public_key().as_der().expect("der").as_ref().to_vec()
            }
            PrivateKey::Ecdsa(k) => {
                use aws_lc_rs::signature::KeyPair;
                k.public_key().as_der().expect("der").as_ref().to_vec()
            }
            PrivateKey::Ed25519(_) => unreachable!("not used"),
        };
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }

    #[test]
    fn pem_and_jwk_give_the_same_key() {
        for alg in [Alg::RS256, Alg::ES256] {
            let private = PrivateKey::generate(alg).expect("generate");
            let from_pem = parse_client_key(Some(&spki_pem(&private)), None, None).expect("pem");
            let from_jwk = parse_client_key(None, Some(&private.public_jwk()), None).expect("jwk");
            assert_eq!(from_pem, from_jwk, "{alg}");
            assert_eq!(from_pem.alg, alg);
            assert_eq!(from_pem.jwk, private.public_jwk());
            let sig = private.sign(b"payload").expect("sign");
            let parsed = verifying_key(alg, &from_pem.jwk).expect("parse");
            assert!(parsed.verify_sig(b"payload", &sig).is_ok());
            assert!(parsed.verify_sig(b"payloaf", &sig).is_err());
        }
    }

    #[test]
    fn bad_keys_are_refused_naming_the_problem() {
        let ed = PrivateKey::generate(Alg::EdDSA).expect("generate");
        let err = parse_client_key(None, Some(&ed.public_jwk()), None).expect_err("ed25519");
        assert!(err.to_string().contains("jwk/kty"), "{err}");
        let mut jwk = PrivateKey::generate(Alg::ES256).expect("generate").public_jwk();
        jwk["d"] = json!("AAAA");
        assert!(parse_client_key(None, Some(&jwk), None).expect_err("private").to_string().contains("private"));
        let err = parse_client_key(Some("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"), None, None)
            .expect_err("private pem");
        assert!(err.to_string().contains("private key"), "{err}");
        let short = json!({"kty": "RSA", "n": b64url(&[0xC1; 128]), "e": "AQAB"});
        assert!(parse_client_key(None, Some(&short), None).expect_err("1024").to_string().contains("too short"));
        let off_curve = json!({"kty": "EC", "crv": "P-256", "x": b64url(&[1; 32]), "y": b64url(&[2; 32])});
        assert!(parse_client_key(None, Some(&off_curve), None).is_err());
        assert!(parse_client_key(None, None, None).is_err());
    }

    #[test]
    fn the_kid_is_the_thumbprint_unless_given() {
        let private = PrivateKey::generate(Alg::ES256).expect("generate");
        let key = parse_client_key(None, Some(&private.public_jwk()), None).expect("jwk");
        assert_eq!(key.kid, jwk_thumbprint(&private.public_jwk()));
        let named = parse_client_key(None, Some(&private.public_jwk()), Some("key-2026")).expect("jwk");
        assert_eq!(named.kid, "key-2026");
        assert!(parse_client_key(None, Some(&private.public_jwk()), Some("has space")).is_err());
    }
}
