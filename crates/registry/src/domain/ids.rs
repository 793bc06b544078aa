//! Identifier schemes of registers and their check digits: Demoland's national id (ISO 7064
//! MOD 11,10, as Germany's tax id and Croatia's OIB) and business id (ISO 7064 MOD 97-10,
//! computed as for an IBAN), and UUIDs for registers with no scheme of their own.

use serde::{Deserialize, Serialize};

/// How a register's records are identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IdScheme {
    /// 11 digits, the last a check digit (ISO 7064 MOD 11,10) over the first 10.
    NationalId,
    /// `DL`, 8 digits and 2 check digits (ISO 7064 MOD 97-10, as an IBAN).
    BusinessId,
    /// A UUID in its hyphenated form.
    Uuid,
}

impl IdScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            IdScheme::NationalId => "national-id",
            IdScheme::BusinessId => "business-id",
            IdScheme::Uuid => "uuid",
        }
    }

    pub fn parse(text: &str) -> Option<IdScheme> {
        match text {
            "national-id" => Some(IdScheme::NationalId),
            "business-id" => Some(IdScheme::BusinessId),
            "uuid" => Some(IdScheme::Uuid),
            _ => None,
        }
    }

    /// Whether `id` is well formed under this scheme; the error says what is wrong.
    pub fn validate(self, id: &str) -> Result<(), String> {
        match self {
            IdScheme::NationalId => national_id::validate(id),
            IdScheme::BusinessId => business_id::validate(id),
            IdScheme::Uuid => match uuid::Uuid::try_parse(id) {
                Ok(parsed) if parsed.hyphenated().to_string() == id => Ok(()),
                _ => Err("not a UUID in lowercase hyphenated form, e.g. 0192d3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d".into()),
            },
        }
    }
}

/// Demoland's national identification number.
pub mod national_id {
    /// Digits of a complete national id.
    pub const LEN: usize = 11;

    /// The ISO 7064 MOD 11,10 check digit of `body` (decimal digits).
    fn check_digit(body: &[u8]) -> u8 {
        let mut product: u32 = 10;
        for digit in body {
            let mut sum = (u32::from(*digit) + product) % 10;
            if sum == 0 {
                sum = 10;
            }
            product = (sum * 2) % 11;
        }
        // 11 - product is 1..=10 (product is never 0); a 10 is written 0.
        ((11 - product) % 10) as u8
    }

    fn digits(text: &str) -> Option<Vec<u8>> {
        text.bytes().map(|b| b.is_ascii_digit().then(|| b - b'0')).collect()
    }

    /// Whether `id` is 11 digits with a correct check digit.
    pub fn validate(id: &str) -> Result<(), String> {
        let Some(digits) = digits(id).filter(|d| d.len() == LEN) else {
            return Err(format!("a national id is {LEN} digits, e.g. 69435151530"));
        };
        if check_digit(&digits[..LEN - 1]) != digits[LEN - 1] {
            return Err("the check digit does not match: a digit is mistyped".into());
        }
        Ok(())
    }

    /// The complete national id for a body of 10 digits.
    pub fn with_check(body: &str) -> Result<String, String> {
        let digits = digits(body).filter(|d| d.len() == LEN - 1).ok_or_else(|| "give 10 digits".to_string())?;
        Ok(format!("{body}{}", check_digit(&digits)))
    }
}

/// Demoland's business identification number: `DL` + 8 digits + 2 check digits.
pub mod business_id {
    /// Length of a complete business id.
    pub const LEN: usize = 12;
    const PREFIX: &str = "DL";

    /// ISO 7064 MOD 97-10 remainder of a string of digits and capital letters, letters
    /// counting as two digits (A = 10 … Z = 35) as in an IBAN.
    pub(crate) fn mod97(text: &str) -> Option<u32> {
        let mut rest: u32 = 0;
        for byte in text.bytes() {
            let value = match byte {
                b'0'..=b'9' => u32::from(byte - b'0'),
                b'A'..=b'Z' => u32::from(byte - b'A') + 10,
                _ => return None,
            };
            rest = if value >= 10 { (rest * 100 + value) % 97 } else { (rest * 10 + value) % 97 };
        }
        Some(rest)
    }

    fn body_ok(body: &str) -> bool {
        body.len() == 8 && body.bytes().all(|b| b.is_ascii_digit())
    }

    /// Whether `id` is `DL`, 8 digits and 2 correct check digits.
    pub fn validate(id: &str) -> Result<(), String> {
        let well_formed = id.len() == LEN
            && id.starts_with(PREFIX)
            && body_ok(&id[2..10])
            && id[10..].bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            return Err("a business id is DL, 8 digits and 2 check digits, e.g. DL1234567831".into());
        }
        // As for an IBAN: the country code and check digits move behind the body.
        let rearranged = format!("{}{PREFIX}{}", &id[2..10], &id[10..]);
        if mod97(&rearranged) != Some(1) {
            return Err("the check digits do not match: a digit is mistyped".into());
        }
        Ok(())
    }

    /// The complete business id for a body of 8 digits.
    pub fn with_check(body: &str) -> Result<String, String> {
        if !body_ok(body) {
            return Err("give 8 digits".into());
        }
        let rest = mod97(&format!("{body}{PREFIX}00")).ok_or_else(|| "give 8 digits".to_string())?;
        Ok(format!("{PREFIX}{body}{:02}", 98 - rest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Worked by hand: body 1234567890 runs the product through 2, 8, 2, 1, 1, 3, 9, 3, 4, 8;
    // 11 - 8 = 3. And 69435151530 is the example OIB published by Croatia's tax authority.
    const VALID_NATIONAL: &[&str] = &["12345678903", "69435151530", "00000000001", "99999999994"];
    // 12345678 1321 00 mod 97 = 67 (D = 13, L = 21); 98 - 67 = 31.
    const VALID_BUSINESS: &[&str] = &["DL1234567831", "DL0000000185", "DL8765432170", "DL1000000097"];

    #[test]
    fn known_national_ids_validate_and_are_rebuilt() {
        for id in VALID_NATIONAL {
            assert_eq!(national_id::validate(id), Ok(()), "{id}");
            assert_eq!(national_id::with_check(&id[..10]).as_deref(), Ok(*id));
        }
    }

    #[test]
    fn known_business_ids_validate_and_are_rebuilt() {
        for id in VALID_BUSINESS {
            assert_eq!(business_id::validate(id), Ok(()), "{id}");
            assert_eq!(business_id::with_check(&id[2..10]).as_deref(), Ok(*id));
        }
    }

    #[test]
    fn mod97_is_the_iban_computation() {
        // GB82 WEST 1234 5698 7654 32, the IBAN registry's example, rearranged.
        assert_eq!(business_id::mod97("WEST12345698765432GB82"), Some(1));
        assert_eq!(business_id::mod97("WEST12345698765432GB83"), Some(2));
    }

    fn single_digit_errors(id: &str, skip: usize) -> Vec<String> {
        let mut out = Vec::new();
        for position in skip..id.len() {
            for digit in b'0'..=b'9' {
                let mut bytes = id.as_bytes().to_vec();
                if bytes[position] == digit {
                    continue;
                }
                bytes[position] = digit;
                out.push(String::from_utf8(bytes).expect("ascii"));
            }
        }
        out
    }

    #[test]
    fn every_single_digit_error_is_detected() {
        for id in VALID_NATIONAL {
            for wrong in single_digit_errors(id, 0) {
                assert!(national_id::validate(&wrong).is_err(), "{wrong} passed");
            }
        }
        for id in VALID_BUSINESS {
            for wrong in single_digit_errors(id, 2) {
                assert!(business_id::validate(&wrong).is_err(), "{wrong} passed");
            }
        }
    }

    #[test]
    fn adjacent_transpositions_in_business_ids_are_detected() {
        // MOD 97-10 catches every swap of two neighbouring digits (MOD 11,10 only most of them).
        for id in VALID_BUSINESS {
            for i in 2..id.len() - 1 {
                let mut bytes = id.as_bytes().to_vec();
                if bytes[i] == bytes[i + 1] {
                    continue;
                }
                bytes.swap(i, i + 1);
                let wrong = String::from_utf8(bytes).expect("ascii");
                assert!(business_id::validate(&wrong).is_err(), "{wrong} passed");
            }
        }
    }

    #[test]
    fn malformed_ids_are_refused_with_the_expected_form() {
        for bad in ["", "1234567890", "123456789031", "1234567890a", " 12345678903"] {
            assert!(national_id::validate(bad).expect_err("refused").contains("11 digits"), "{bad}");
        }
        for bad in ["", "DE1234567831", "DL123456783", "dl1234567831", "DL12345678AB", "DL1234567831 "] {
            assert!(business_id::validate(bad).expect_err("refused").contains("DL, 8 digits"), "{bad}");
        }
        assert!(national_id::with_check("12345").is_err());
        assert!(business_id::with_check("1234567x").is_err());
    }

    #[test]
    fn schemes_parse_and_check_uuids() {
        for scheme in [IdScheme::NationalId, IdScheme::BusinessId, IdScheme::Uuid] {
            assert_eq!(IdScheme::parse(scheme.as_str()), Some(scheme));
        }
        assert_eq!(IdScheme::parse("passport"), None);
        assert!(IdScheme::Uuid.validate("0192d3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d").is_ok());
        assert!(IdScheme::Uuid.validate("0192D3C4-5E6F-7A8B-9C0D-1E2F3A4B5C6D").is_err());
        assert!(IdScheme::Uuid.validate("not-a-uuid").is_err());
    }
}
