//! X-Road identifiers: member classes, member codes, subsystem and service codes, and the
//! slash-separated client and service identifiers of the REST protocol
//! (`DL/GOV/70000001/tax-assessment`, `DL/GOV/70000002/population/persons`).

use std::fmt;

use publica_kernel::domain::OrgKind;
use publica_kernel::error::Error;

/// The class of a member: public bodies are `GOV`, businesses `COM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemberClass {
    Gov,
    Com,
}

impl MemberClass {
    pub fn of(kind: OrgKind) -> MemberClass {
        match kind {
            OrgKind::Platform | OrgKind::Agency => MemberClass::Gov,
            OrgKind::Business => MemberClass::Com,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MemberClass::Gov => "GOV",
            MemberClass::Com => "COM",
        }
    }

    pub fn parse(text: &str) -> Option<MemberClass> {
        match text {
            "GOV" => Some(MemberClass::Gov),
            "COM" => Some(MemberClass::Com),
            _ => None,
        }
    }
}

/// The first member code handed out; codes are eight digits, allocated in order.
pub const FIRST_MEMBER_CODE: u32 = 70_000_001;

/// Whether `text` is a member code: exactly eight ASCII digits.
pub fn is_member_code(text: &str) -> bool {
    text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Check an instance, subsystem or service code: 1 to 64 of `A-Z a-z 0-9 - _ .`, the characters
/// that need no percent-encoding in a URL path segment.
pub fn check_code(text: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && text != "."
        && text != "..";
    if ok { Ok(()) } else { Err(format!("`{text}` is not a code: use 1 to 64 letters, digits, `-`, `_` or `.`")) }
}

/// A subsystem or service code from a request body, or an error naming `field`.
pub fn code(field: &str, text: &str) -> Result<String, Error> {
    check_code(text.trim()).map_err(|m| Error::invalid(field, m))?;
    Ok(text.trim().to_string())
}

/// `INSTANCE/CLASS/MEMBER/SUBSYSTEM`: who calls (the `X-Road-Client` header) or who provides.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubsystemId {
    pub instance: String,
    pub class: String,
    pub member: String,
    pub subsystem: String,
}

impl SubsystemId {
    /// Parse the value of an `X-Road-Client` header. The parts may be percent-encoded (the
    /// protocol encodes each part separately); the subsystem is required here, because clients
    /// of this exchange belong to subsystems.
    pub fn parse_header(value: &str) -> Result<SubsystemId, String> {
        let parts: Vec<&str> = value.trim().split('/').collect();
        if parts.len() != 4 {
            return Err(format!(
                "`{value}` is not a client identifier: send INSTANCE/CLASS/MEMBER/SUBSYSTEM, e.g. DL/GOV/70000001/tax-assessment"
            ));
        }
        let mut decoded = Vec::with_capacity(4);
        for part in parts {
            let text = percent_decode(part).ok_or_else(|| format!("`{part}` is not valid percent-encoded UTF-8"))?;
            if text.is_empty() {
                return Err(format!("`{value}` has an empty part"));
            }
            decoded.push(text);
        }
        let mut it = decoded.into_iter();
        let (Some(instance), Some(class), Some(member), Some(subsystem)) = (it.next(), it.next(), it.next(), it.next())
        else {
            return Err("a client identifier has four parts".into());
        };
        Ok(SubsystemId { instance, class, member, subsystem })
    }
}

impl fmt::Display for SubsystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}/{}", self.instance, self.class, self.member, self.subsystem)
    }
}

/// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`: one e-service.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceId {
    pub provider: SubsystemId,
    pub service: String,
}

impl fmt::Display for ServiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.service)
    }
}

/// Decode `%XX` escapes; `None` when an escape is malformed or the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_identifiers_parse_with_percent_encoding() {
        let id = SubsystemId::parse_header("DL/GOV/70000001/tax%2Dassessment").expect("parse");
        assert_eq!(id.subsystem, "tax-assessment");
        assert_eq!(id.to_string(), "DL/GOV/70000001/tax-assessment");
        assert!(SubsystemId::parse_header("DL/GOV/70000001").is_err(), "the subsystem is required");
        assert!(SubsystemId::parse_header("DL/GOV//x").is_err());
        assert!(SubsystemId::parse_header("DL/GOV/7%ZZ/x").is_err());
    }

    #[test]
    fn codes_and_member_codes() {
        assert!(check_code("tax-assessment").is_ok());
        assert!(check_code("a b").is_err());
        assert!(check_code("").is_err());
        assert!(check_code(&"x".repeat(65)).is_err());
        assert!(is_member_code("70000001"));
        assert!(!is_member_code("7000001"));
        assert_eq!(MemberClass::of(OrgKind::Business).as_str(), "COM");
        assert_eq!(MemberClass::of(OrgKind::Agency).as_str(), "GOV");
    }
}
