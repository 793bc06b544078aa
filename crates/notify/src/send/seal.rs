//! The electronic seal of legal facts: a P-256 key of the platform, generated once, sealed under
//! the master key, with a self-signed X.509 certificate naming it. Legal-fact PDFs carry the
//! certificate in their CMS signature; `GET /delivery-push/seal-certificate` publishes it so a
//! relying party can pin it.

use std::str::FromStr;
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::{Kernel, on_db};
use x509_cert::der::asn1::{BitString, ObjectIdentifier, UtcTime};
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// Associated data binding the sealed private key to its use.
const AAD: &[u8] = b"publica-notify-send-seal-v1";
/// Years the self-signed certificate is valid for.
const VALID_YEARS: u64 = 10;

/// The loaded seal: its key and certificate.
pub struct Seal {
    key: EcdsaKeyPair,
    certificate: Certificate,
    certificate_der: Vec<u8>,
}

impl Seal {
    /// The installation's seal, created (with its certificate) on first use.
    pub async fn load_or_create(kernel: &Kernel, subject: &str) -> Result<Seal> {
        if let Some(seal) = Self::load(kernel).await? {
            return Ok(seal);
        }
        let (seal, pkcs8) = Self::generate(subject)?;
        let der = seal.certificate_der;
        let sealed = kernel.keys().master().encrypt(AAD, &pkcs8);
        // Two processes may race: the first insert wins and both load it.
        on_db!(kernel.db(), pool => sqlx::query(
            "INSERT INTO notify_send_seal (id, private_sealed, certificate, created_at) VALUES (1, $1, $2, $3)
             ON CONFLICT (id) DO NOTHING")
            .bind(sealed).bind(&der).bind(Timestamp::now()).execute(pool).await.map(|_| ()))?;
        Self::load(kernel).await?.ok_or_else(|| Error::internal("the legal-fact seal was not stored"))
    }

    /// A new key and self-signed certificate, with the key's PKCS#8 for storing.
    pub fn generate(subject: &str) -> Result<(Seal, Vec<u8>)> {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).map_err(Error::internal)?;
        let certificate = self_signed(&key, subject)?;
        let certificate_der = certificate.to_der().map_err(Error::internal)?;
        let pkcs8 = key.to_pkcs8v1().map_err(Error::internal)?.as_ref().to_vec();
        Ok((Seal { key, certificate, certificate_der }, pkcs8))
    }

    async fn load(kernel: &Kernel) -> Result<Option<Seal>> {
        let row: Option<(Vec<u8>, Vec<u8>)> = on_db!(kernel.db(), pool =>
            sqlx::query_as("SELECT private_sealed, certificate FROM notify_send_seal WHERE id = 1").fetch_optional(pool).await)?;
        let Some((sealed, der)) = row else {
            return Ok(None);
        };
        let pkcs8 = kernel
            .keys()
            .master()
            .decrypt(AAD, &sealed)
            .map_err(|_| Error::internal("the legal-fact seal cannot be opened with this master key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8).map_err(Error::internal)?;
        let certificate = Certificate::from_der(&der).map_err(Error::internal)?;
        Ok(Some(Seal { key, certificate, certificate_der: der }))
    }

    /// An ECDSA P-256 SHA-256 signature of `message`, DER-encoded (as CMS carries it).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let signature = self.key.sign(&SystemRandom::new(), message).map_err(Error::internal)?;
        Ok(signature.as_ref().to_vec())
    }

    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate in DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }
}

fn self_signed(key: &EcdsaKeyPair, subject: &str) -> Result<Certificate> {
    let name = Name::from_str(&format!("CN={},O=Publica", escape_rdn(subject))).map_err(Error::internal)?;
    let parameters = Any::encode_from(&SECP256R1).map_err(Error::internal)?;
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned { oid: ID_EC_PUBLIC_KEY, parameters: Some(parameters) },
        subject_public_key: BitString::from_bytes(key.public_key().as_ref()).map_err(Error::internal)?,
    };
    let algorithm = AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(Error::internal)?;
    let until = now + Duration::from_secs(VALID_YEARS * 365 * 86_400);
    let utc = |d: Duration| UtcTime::from_unix_duration(d).map(Time::UtcTime).map_err(Error::internal);
    let mut serial = publica_kernel::crypto::random_bytes::<16>();
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    // digitalSignature and nonRepudiation (contentCommitment): BIT STRING 0b11, 6 unused bits.
    let key_usage = x509_cert::der::asn1::OctetString::new(vec![0x03, 0x02, 0x06, 0xc0]).map_err(Error::internal)?;
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial).map_err(Error::internal)?,
        signature: algorithm.clone(),
        issuer: name.clone(),
        validity: Validity { not_before: utc(now)?, not_after: utc(until)? },
        subject: name,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(vec![Extension { extn_id: KEY_USAGE, critical: true, extn_value: key_usage }]),
    };
    let signed = tbs.to_der().map_err(Error::internal)?;
    let signature = key.sign(&SystemRandom::new(), &signed).map_err(Error::internal)?;
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(signature.as_ref()).map_err(Error::internal)?,
    })
}

/// A name fit for an RFC 4514 attribute value.
fn escape_rdn(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).map(|c| if ",+\"\\<>;=#".contains(c) { ' ' } else { c }).collect()
}
