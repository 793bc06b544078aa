//! PAdES signatures of PDFs: an incremental update adds a signature field and a signature
//! dictionary (`/SubFilter /ETSI.CAdES.detached`) whose `/Contents` holds a detached CMS
//! SignedData over the `/ByteRange` (the whole file but the signature itself), with the signed
//! attributes PAdES baseline B-B asks for (content type, message digest, signing certificate
//! v2); the signing time is the dictionary's `/M`. [`verify`] checks such a signature.
//!
//! Only what the PDF writer of this crate produces is signed: uncompressed cross-reference
//! tables and a catalog and first page without annotations.

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use publica_kernel::crypto::sha256;
use publica_kernel::db::Timestamp;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use x509_cert::der::{Any, Decode, Encode, SliceReader};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::seal::{ECDSA_WITH_SHA256, ID_EC_PUBLIC_KEY, Seal};

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Bytes reserved for the CMS signature (written in hex, so twice this in the file).
const SIGNATURE_SPACE: usize = 8192;
/// Width of each number of the `/ByteRange` placeholder.
const RANGE_WIDTH: usize = 10;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PadesError {
    #[error("the PDF cannot be signed: {0}")]
    Unsupported(&'static str),
    #[error("the PDF carries no signature")]
    Unsigned,
    #[error("the signature is malformed: {0}")]
    Malformed(String),
    #[error("the signature does not cover the whole file")]
    PartialCoverage,
    #[error("the signed digest does not match the document: it was altered")]
    DigestMismatch,
    #[error("the signature does not verify with the certificate it names")]
    BadSignature,
    #[error("cannot sign: {0}")]
    Signing(String),
}

/// What a valid signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The signer certificate in DER.
    pub certificate: Vec<u8>,
    /// SHA-256 of the signed byte ranges.
    pub digest: [u8; 32],
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The integer after `key` in `text` (e.g. `/Size 12`).
fn number_after(text: &[u8], key: &[u8]) -> Option<usize> {
    let at = find(text, key)? + key.len();
    let digits: String = text[at..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}

/// The dictionary text (from `<<` to the matching last `>>`) of the latest revision of object `id`.
fn object_dict(pdf: &[u8], id: usize) -> Option<String> {
    let start = rfind(pdf, format!("\n{id} 0 obj").as_bytes())? + 1;
    let end = start + find(&pdf[start..], b"endobj")?;
    let body = std::str::from_utf8(&pdf[start..end]).ok()?;
    let open = body.find("<<")?;
    let close = body.rfind(">>")?;
    (close > open).then(|| body[open..close + 2].to_string())
}

/// `dict` with `entry` added before its closing `>>`.
fn with_entry(dict: &str, entry: &str) -> String {
    format!("{}{entry}\n>>", &dict[..dict.len() - 2])
}

fn pdf_date(at: Timestamp) -> String {
    let t = at.inner();
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A PDF literal string of printable ASCII.
fn literal(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect();
    format!("({clean})")
}

/// Sign `pdf` with `seal` at `at`, giving `reason` in the signature dictionary.
pub fn sign(pdf: &[u8], seal: &Seal, at: Timestamp, reason: &str) -> Result<Vec<u8>, PadesError> {
    let startxref = rfind(pdf, b"startxref").ok_or(PadesError::Unsupported("no startxref"))?;
    let prev = number_after(&pdf[startxref..], b"startxref").ok_or(PadesError::Unsupported("bad startxref"))?;
    let trailer_at = rfind(&pdf[..startxref], b"trailer").ok_or(PadesError::Unsupported("no trailer"))?;
    let trailer = &pdf[trailer_at..startxref];
    let size = number_after(trailer, b"/Size").ok_or(PadesError::Unsupported("no /Size"))?;
    let root = number_after(trailer, b"/Root").ok_or(PadesError::Unsupported("no /Root"))?;
    let info = number_after(trailer, b"/Info");
    let catalog = object_dict(pdf, root).ok_or(PadesError::Unsupported("no catalog"))?;
    if catalog.contains("/AcroForm") {
        return Err(PadesError::Unsupported("the catalog already has a form"));
    }
    let pages = number_after(catalog.as_bytes(), b"/Pages").ok_or(PadesError::Unsupported("no /Pages"))?;
    let tree = object_dict(pdf, pages).ok_or(PadesError::Unsupported("no page tree"))?;
    let page = number_after(tree.as_bytes(), b"/Kids [").ok_or(PadesError::Unsupported("no first page"))?;
    let page_dict = object_dict(pdf, page).ok_or(PadesError::Unsupported("no page object"))?;
    if page_dict.contains("/Annots") {
        return Err(PadesError::Unsupported("the first page already has annotations"));
    }
    let (sig, field) = (size, size + 1);

    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(usize, usize)> = Vec::new();
    let placeholder_range = format!("[0 {0} {0} {0}]", "0".repeat(RANGE_WIDTH));
    offsets.push((sig, out.len()));
    out.extend_from_slice(
        format!(
            "{sig} 0 obj\n<<\n  /Type /Sig\n  /Filter /Adobe.PPKLite\n  /SubFilter /ETSI.CAdES.detached\n  /M {}\n  /Reason {}\n  /ByteRange {placeholder_range}\n  /Contents ",
            literal(&pdf_date(at)),
            literal(reason),
        )
        .as_bytes(),
    );
    let contents_start = out.len();
    out.push(b'<');
    out.extend(std::iter::repeat_n(b'0', SIGNATURE_SPACE * 2));
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b"\n>>\nendobj\n");
    offsets.push((field, out.len()));
    out.extend_from_slice(
        format!(
            "{field} 0 obj\n<<\n  /Type /Annot\n  /Subtype /Widget\n  /FT /Sig\n  /T (Seal)\n  /V {sig} 0 R\n  /Rect [0 0 0 0]\n  /F 132\n  /P {page} 0 R\n>>\nendobj\n"
        )
        .as_bytes(),
    );
    offsets.push((root, out.len()));
    let form = format!("  /AcroForm << /Fields [{field} 0 R] /SigFlags 3 >>");
    out.extend_from_slice(format!("{root} 0 obj\n{}\nendobj\n", with_entry(&catalog, &form)).as_bytes());
    offsets.push((page, out.len()));
    let annots = format!("  /Annots [{field} 0 R]");
    out.extend_from_slice(format!("{page} 0 obj\n{}\nendobj\n", with_entry(&page_dict, &annots)).as_bytes());

    offsets.sort_unstable();
    let xref_at = out.len();
    out.extend_from_slice(b"xref\n");
    let mut i = 0;
    while i < offsets.len() {
        let mut j = i;
        while j + 1 < offsets.len() && offsets[j + 1].0 == offsets[j].0 + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", offsets[i].0, j - i + 1).as_bytes());
        for (_, offset) in &offsets[i..=j] {
            out.extend_from_slice(format!("{offset:010} 00000 n\r\n").as_bytes());
        }
        i = j + 1;
    }
    let info = info.map(|i| format!("  /Info {i} 0 R\n")).unwrap_or_default();
    out.extend_from_slice(
        format!(
            "trailer\n<<\n  /Size {}\n  /Root {root} 0 R\n{info}  /Prev {prev}\n>>\nstartxref\n{xref_at}\n%%EOF\n",
            size + 2
        )
        .as_bytes(),
    );

    // Fill in the byte range, then sign the bytes it covers.
    let range = [0, contents_start, contents_end, out.len() - contents_end];
    let text = format!("[{} {} {} {}", range[0], range[1], range[2], range[3]);
    let padded = format!("{text:<width$}]", width = placeholder_range.len() - 1);
    let at_range = find(&out[..contents_start], placeholder_range.as_bytes())
        .ok_or(PadesError::Unsupported("byte range placeholder lost"))?;
    out[at_range..at_range + padded.len()].copy_from_slice(padded.as_bytes());
    let mut signed = out[..contents_start].to_vec();
    signed.extend_from_slice(&out[contents_end..]);
    let cms = signed_data(&sha256(&signed), seal)?;
    if cms.len() > SIGNATURE_SPACE {
        return Err(PadesError::Signing("the CMS signature is larger than the space reserved".into()));
    }
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    out[contents_start + 1..contents_start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(out)
}

/// DER of `SEQUENCE { contents }`.
fn sequence(contents: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, PadesError> {
    let values = SetOfVec::try_from(vec![value]).map_err(|e| PadesError::Signing(e.to_string()))?;
    Ok(Attribute { oid, values })
}

/// A detached CMS SignedData over `digest`, signed by `seal`.
fn signed_data(digest: &[u8; 32], seal: &Seal) -> Result<Vec<u8>, PadesError> {
    let err = |e: x509_cert::der::Error| PadesError::Signing(e.to_string());
    let certificate = seal.certificate();
    // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { certHash } } (hash algorithm: SHA-256, the default).
    let cert_hash = OctetString::new(sha256(seal.certificate_der()).to_vec()).map_err(err)?.to_der().map_err(err)?;
    let signing_certificate = sequence(&sequence(&sequence(&cert_hash)));
    let attrs = SetOfVec::try_from(vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA).map_err(err)?)?,
        attribute(ID_MESSAGE_DIGEST, Any::encode_from(&OctetString::new(digest.to_vec()).map_err(err)?).map_err(err)?)?,
        attribute(ID_SIGNING_CERTIFICATE_V2, Any::from_der(&signing_certificate).map_err(err)?)?,
    ])
    .map_err(err)?;
    let signature = seal.sign(&attrs.to_der().map_err(err)?).map_err(|e| PadesError::Signing(e.to_string()))?;
    let sha256_alg = AlgorithmIdentifierOwned { oid: ID_SHA256, parameters: None };
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: certificate.tbs_certificate.issuer.clone(),
            serial_number: certificate.tbs_certificate.serial_number.clone(),
        }),
        digest_alg: sha256_alg.clone(),
        signed_attrs: Some(attrs),
        signature_algorithm: AlgorithmIdentifierOwned { oid: ECDSA_WITH_SHA256, parameters: None },
        signature: OctetString::new(signature).map_err(err)?,
        unsigned_attrs: None,
    };
    let data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256_alg]).map_err(err)?,
        encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None },
        certificates: Some(CertificateSet(
            SetOfVec::try_from(vec![CertificateChoices::Certificate(certificate.clone())]).map_err(err)?,
        )),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer]).map_err(err)?),
    };
    let info = ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&data).map_err(err)? };
    info.to_der().map_err(err)
}

/// Check the last signature of `pdf`: it covers the whole file, its message digest is the
/// digest of the signed ranges, and its signature verifies with the certificate it carries.
pub fn verify(pdf: &[u8]) -> Result<Verified, PadesError> {
    let malformed = |what: &str| PadesError::Malformed(what.to_string());
    let at = rfind(pdf, b"/ByteRange [").ok_or(PadesError::Unsigned)? + b"/ByteRange [".len();
    let close = at + find(&pdf[at..], b"]").ok_or_else(|| malformed("unterminated /ByteRange"))?;
    let numbers: Vec<usize> = std::str::from_utf8(&pdf[at..close])
        .map_err(|_| malformed("/ByteRange"))?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| malformed("/ByteRange"))?;
    let [a, b, c, d] = numbers[..] else {
        return Err(malformed("/ByteRange must have four numbers"));
    };
    if a != 0 || c + d != pdf.len() || b >= c || c > pdf.len() {
        return Err(PadesError::PartialCoverage);
    }
    let hex = &pdf[b..c];
    if hex.first() != Some(&b'<') || hex.last() != Some(&b'>') {
        return Err(malformed("/Contents is not a hex string between the ranges"));
    }
    let bytes: Vec<u8> = hex[1..hex.len() - 1]
        .chunks(2)
        .map(|p| std::str::from_utf8(p).ok().and_then(|s| u8::from_str_radix(s, 16).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| malformed("/Contents is not hex"))?;
    let mut reader = SliceReader::new(&bytes).map_err(|e| PadesError::Malformed(e.to_string()))?;
    let info = ContentInfo::decode(&mut reader).map_err(|e| PadesError::Malformed(e.to_string()))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed("not a SignedData"));
    }
    let data: SignedData = info.content.decode_as().map_err(|e| PadesError::Malformed(e.to_string()))?;
    let signer = data.signer_infos.0.iter().next().ok_or_else(|| malformed("no signer"))?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(malformed("the signer is not named by issuer and serial number"));
    };
    let certificate: &Certificate = data
        .certificates
        .as_ref()
        .and_then(|set| {
            set.0.iter().find_map(|c| match c {
                CertificateChoices::Certificate(c)
                    if c.tbs_certificate.serial_number == sid.serial_number
                        && c.tbs_certificate.issuer == sid.issuer =>
                {
                    Some(c)
                }
                _ => None,
            })
        })
        .ok_or_else(|| malformed("the signer certificate is not included"))?;
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| malformed("no signed attributes"))?;
    let declared = attrs
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| malformed("no message digest"))?;
    let mut signed = pdf[..b].to_vec();
    signed.extend_from_slice(&pdf[c..]);
    let digest = sha256(&signed);
    if declared.as_bytes() != digest {
        return Err(PadesError::DigestMismatch);
    }
    let spki = &certificate.tbs_certificate.subject_public_key_info;
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY || signer.signature_algorithm.oid != ECDSA_WITH_SHA256 {
        return Err(malformed("only ECDSA P-256 with SHA-256 is supported"));
    }
    let point = spki.subject_public_key.as_bytes().ok_or_else(|| malformed("bad public key"))?;
    let message = attrs.to_der().map_err(|e| PadesError::Malformed(e.to_string()))?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, point)
        .verify(&message, signer.signature.as_bytes())
        .map_err(|_| PadesError::BadSignature)?;
    let certificate = certificate.to_der().map_err(|e| PadesError::Malformed(e.to_string()))?;
    Ok(Verified { certificate, digest })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::template::{Letter, LetterLanguage, letter_pdf};

    fn document() -> Vec<u8> {
        let p = json!({"address_line_1": "Mario Rossi", "address_line_2": "Tax code RSSMRA80A01H501U", "address_line_3": "IUN X"});
        let letter = Letter {
            subject: "Legal fact",
            content: "Certified.\n\n---\n\nSecond page.",
            personalisation: p.as_object().expect("map"),
            contact_block: Some("Publica"),
            date: time::macros::date!(2025 - 01 - 08),
            language: LetterLanguage::English,
        };
        letter_pdf(&letter).expect("pdf")
    }

    #[test]
    fn a_signed_pdf_verifies_and_any_change_is_detected() {
        let (seal, _) = Seal::generate("Test seal").expect("seal");
        let at = Timestamp::parse("2025-01-08T14:07:18Z").expect("time");
        let original = document();
        let signed = sign(&original, &seal, at, "SENDER_ACK X").expect("signed");
        assert!(signed.starts_with(&original), "an incremental update keeps the original bytes");
        assert_eq!(crate::domain::template::page_count(&signed), Ok(2));
        let verified = verify(&signed).expect("verifies");
        assert_eq!(verified.certificate, seal.certificate_der());
        assert!(find(&signed, b"/M (D:20250108140718Z)").is_some());
        assert!(find(&signed, b"/Annots [").is_some() && find(&signed, b"/AcroForm").is_some());

        let mut altered = signed.clone();
        let position = find(&altered, b"Certified").expect("text");
        altered[position] = b'X';
        assert_eq!(verify(&altered).map(|_| ()), Err(PadesError::DigestMismatch));
        let mut appended = signed.clone();
        appended.extend_from_slice(b"% more\n");
        assert_eq!(verify(&appended).map(|_| ()), Err(PadesError::PartialCoverage));
        assert_eq!(verify(&original).map(|_| ()), Err(PadesError::Unsigned));
        let again = sign(&signed, &seal, at, "again").map(|_| ());
        assert_eq!(again, Err(PadesError::Unsupported("the catalog already has a form")));
    }
}
