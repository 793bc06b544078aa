//! Cryptographic primitives Publica uses, all from aws-lc-rs: the master key that encrypts
//! secrets at rest (AES-256-GCM), signing keys (RS256, ES256, EdDSA), hashes and randomness.

use std::io::Write;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::signature::{self, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("cannot decrypt: wrong master key or altered data")]
    Decrypt,
    #[error("key error: {0}")]
    Key(String),
}

/// `n` random bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The system RNG failing is unrecoverable and never happens on a working kernel.
    SystemRandom::new().fill(&mut buf).expect("system random number generator failed");
    buf
}

/// A random token of 32 bytes, base64url without padding.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key);
    let tag = aws_lc_rs::hmac::sign(&key, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// Equality that takes the same time wherever the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

pub fn b64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// The key that encrypts every secret Publica stores (private keys, later credentials).
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

impl MasterKey {
    /// Parse a base64 (standard or url-safe) 32-byte key.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| CryptoError::MasterKey("PUBLICA_MASTER_KEY must be base64 of 32 random bytes".into()))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            CryptoError::MasterKey(
                "PUBLICA_MASTER_KEY must decode to exactly 32 bytes (e.g. `openssl rand -base64 32`)".into(),
            )
        })?;
        Ok(Self { bytes })
    }

    /// The configured key, or the one in `DATA/master.key`, created (mode 0600) on first use.
    pub fn load_or_create(configured: Option<&str>, data: &Path) -> Result<Self, CryptoError> {
        if let Some(text) = configured {
            return Self::parse(text);
        }
        let path = data.join("master.key");
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|e| CryptoError::MasterKey(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data)
                    .map_err(|e| CryptoError::MasterKey(format!("cannot create {}: {e}", data.display())))?;
                let key = Self { bytes: random_bytes() };
                write_private_file(&path, STANDARD.encode(key.bytes).as_bytes())
                    .map_err(|e| CryptoError::MasterKey(format!("cannot write {}: {e}", path.display())))?;
                Ok(key)
            }
            Err(e) => Err(CryptoError::MasterKey(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// A key for another purpose, derived so that it never equals the master key itself.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        hmac_sha256(&self.bytes, purpose.as_bytes())
    }

    /// AES-256-GCM with a random nonce; `aad` binds the ciphertext to its owner (e.g. a key id).
    pub fn encrypt(&self, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let key = self.aead();
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let mut buf = plaintext.to_vec();
        key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(aad), &mut buf)
            .expect("AES-GCM sealing cannot fail for in-memory buffers");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    pub fn decrypt(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
        let mut buf = body.to_vec();
        let plain = self.aead().open_in_place(nonce, Aad::from(aad), &mut buf).map_err(|_| CryptoError::Decrypt)?;
        Ok(plain.to_vec())
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.bytes).expect("32-byte key"))
    }
}

/// Write a file readable by its owner only.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// The JOSE algorithms Publica signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Alg {
    RS256,
    ES256,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::RS256, Alg::ES256, Alg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(text: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(text))
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A private signing key in memory.
pub enum PrivateKey {
    Rsa(signature::RsaKeyPair),
    Ecdsa(signature::EcdsaKeyPair),
    Ed25519(signature::Ed25519KeyPair),
}

impl PrivateKey {
    /// Generate a new key: RSA 2048, P-256 or Ed25519.
    pub fn generate(alg: Alg) -> Result<Self, CryptoError> {
        let err = |e: aws_lc_rs::error::Unspecified| CryptoError::Key(e.to_string());
        Ok(match alg {
            Alg::RS256 => Self::Rsa(signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).map_err(err)?),
            Alg::ES256 => Self::Ecdsa(
                signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).map_err(err)?,
            ),
            Alg::EdDSA => Self::Ed25519(signature::Ed25519KeyPair::generate().map_err(err)?),
        })
    }

    /// PKCS#8 DER of the private key, for sealing under the master key.
    pub fn to_pkcs8(&self) -> Result<Vec<u8>, CryptoError> {
        let err = |e: aws_lc_rs::error::Unspecified| CryptoError::Key(e.to_string());
        Ok(match self {
            Self::Rsa(k) => AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(k).map_err(err)?.as_ref().to_vec(),
            Self::Ecdsa(k) => k.to_pkcs8v1().map_err(err)?.as_ref().to_vec(),
            Self::Ed25519(k) => k.to_pkcs8v1().map_err(err)?.as_ref().to_vec(),
        })
    }

    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Result<Self, CryptoError> {
        let err = |e: aws_lc_rs::error::KeyRejected| CryptoError::Key(e.to_string());
        Ok(match alg {
            Alg::RS256 => Self::Rsa(signature::RsaKeyPair::from_pkcs8(der).map_err(err)?),
            Alg::ES256 => Self::Ecdsa(
                signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(err)?,
            ),
            Alg::EdDSA => Self::Ed25519(signature::Ed25519KeyPair::from_pkcs8(der).map_err(err)?),
        })
    }

    pub fn alg(&self) -> Alg {
        match self {
            Self::Rsa(_) => Alg::RS256,
            Self::Ecdsa(_) => Alg::ES256,
            Self::Ed25519(_) => Alg::EdDSA,
        }
    }

    /// Sign as JOSE expects: RSASSA-PKCS1-v1_5 SHA-256, ECDSA P-256 fixed (r||s), or Ed25519.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let rng = SystemRandom::new();
        let err = |e: aws_lc_rs::error::Unspecified| CryptoError::Key(e.to_string());
        Ok(match self {
            Self::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig).map_err(err)?;
                sig
            }
            Self::Ecdsa(k) => k.sign(&rng, message).map_err(err)?.as_ref().to_vec(),
            Self::Ed25519(k) => k.sign(message).as_ref().to_vec(),
        })
    }

    /// The public half as a JWK (without `kid`), members in RFC 7638 order.
    pub fn public_jwk(&self) -> serde_json::Value {
        match self {
            Self::Rsa(k) => {
                let public = k.public_key();
                serde_json::json!({
                    "e": b64url(public.exponent().big_endian_without_leading_zero()),
                    "kty": "RSA",
                    "n": b64url(public.modulus().big_endian_without_leading_zero()),
                })
            }
            Self::Ecdsa(k) => {
                let point = k.public_key().as_ref();
                // Uncompressed SEC1: 0x04 || x || y.
                serde_json::json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": b64url(&point[1..33]),
                    "y": b64url(&point[33..65]),
                })
            }
            Self::Ed25519(k) => serde_json::json!({
                "crv": "Ed25519",
                "kty": "OKP",
                "x": b64url(k.public_key().as_ref()),
            }),
        }
    }
}

/// The RFC 7638 thumbprint of a public JWK, used as its key id.
pub fn jwk_thumbprint(jwk: &serde_json::Value) -> String {
    // serde_json's map is ordered by key, which is exactly RFC 7638's required member order,
    // and the JWKs built above carry only the required members.
    b64url(&sha256(jwk.to_string().as_bytes()))
}

/// Verify a signature made by [`PrivateKey::sign`] against a public JWK.
pub fn verify(jwk: &serde_json::Value, alg: Alg, message: &[u8], sig: &[u8]) -> bool {
    let field = |name: &str| jwk.get(name).and_then(|v| v.as_str()).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok());
    match alg {
        Alg::RS256 => {
            let (Some(n), Some(e)) = (field("n"), field("e")) else {
                return false;
            };
            signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok()
        }
        Alg::ES256 => {
            let (Some(x), Some(y)) = (field("x"), field("y")) else {
                return false;
            };
            let mut point = vec![4u8];
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).verify(message, sig).is_ok()
        }
        Alg::EdDSA => {
            let Some(x) = field("x") else { return false };
            signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig).is_ok()
        }
    }
}

/// Verify an RSASSA-PSS SHA-256 signature (JOSE `PS256`) against a public RSA JWK.
pub fn verify_ps256(jwk: &serde_json::Value, message: &[u8], sig: &[u8]) -> bool {
    let field = |name: &str| jwk.get(name).and_then(|v| v.as_str()).and_then(|s| URL_SAFE_NO_PAD.decode(s).ok());
    let (Some(n), Some(e)) = (field("n"), field("e")) else {
        return false;
    };
    signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(&signature::RSA_PSS_2048_8192_SHA256, message, sig)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_verifies_and_survives_pkcs8() {
        for alg in Alg::ALL {
            let key = PrivateKey::generate(alg).expect("generate");
            let again = PrivateKey::from_pkcs8(alg, &key.to_pkcs8().expect("pkcs8")).expect("parse");
            let jwk = again.public_jwk();
            assert_eq!(jwk, key.public_jwk());
            let sig = again.sign(b"message").expect("sign");
            assert!(verify(&jwk, alg, b"message", &sig), "{alg}");
            assert!(!verify(&jwk, alg, b"massage", &sig), "{alg} must reject another message");
        }
    }

    #[test]
    fn master_key_seals_and_detects_tampering() {
        let key = MasterKey::parse(&STANDARD.encode([7u8; 32])).expect("key");
        let mut sealed = key.encrypt(b"kid-1", b"secret");
        assert_eq!(key.decrypt(b"kid-1", &sealed).expect("open"), b"secret");
        assert!(key.decrypt(b"kid-2", &sealed).is_err(), "bound to its owner");
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(key.decrypt(b"kid-1", &sealed).is_err(), "tampering detected");
        assert!(MasterKey::parse("c2hvcnQ=").is_err());
    }

    #[test]
    fn master_key_file_is_private_and_stable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let a = MasterKey::load_or_create(None, dir.path()).expect("create");
        let b = MasterKey::load_or_create(None, dir.path()).expect("load");
        assert_eq!(a.bytes, b.bytes);
        let mode = std::fs::metadata(dir.path().join("master.key")).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
