//! Organisations, members and roles.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// What kind of organisation: the platform operator, a public agency, or a business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrgKind {
    Platform,
    Agency,
    Business,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Platform => "platform",
            OrgKind::Agency => "agency",
            OrgKind::Business => "business",
        }
    }

    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        match text {
            "platform" => Ok(OrgKind::Platform),
            "agency" => Ok(OrgKind::Agency),
            "business" => Ok(OrgKind::Business),
            other => Err(Error::invalid(field, format!("`{other}` is not one of platform, agency, business"))),
        }
    }
}

/// A URL-safe organisation handle: lowercase letters, digits and hyphens, 2 to 63 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let ok = (2..=63).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-');
        if ok {
            Ok(Slug(text.to_string()))
        } else {
            Err(Error::invalid(field, "use 2 to 63 lowercase letters, digits and inner hyphens, e.g. `tax-office`"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Slug::parse("slug", &value).map_err(|e| e.to_string())
    }
}

impl From<Slug> for String {
    fn from(value: Slug) -> String {
        value.0
    }
}

/// An email address, trimmed and lowercased; checked for one `@` with a dotted domain.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let text = text.trim().to_lowercase();
        let valid = match text.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && text.len() <= 254
                    && !text.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if valid {
            Ok(Email(text))
        } else {
            Err(Error::invalid(field, "not an email address, e.g. name@agency.example"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Email::parse("email", &value).map_err(|e| e.to_string())
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A role a member holds in an organisation: `admin`, `auditor`, `member`, or a block's own
/// role such as `notify:manage`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Role(String);

impl Role {
    /// Manages the organisation's members and API keys.
    pub const ADMIN: &'static str = "admin";
    /// Reads the organisation's audit log.
    pub const AUDITOR: &'static str = "auditor";
    /// Signs in; what else it may do depends on the block roles it also holds.
    pub const MEMBER: &'static str = "member";

    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_:-".contains(&b));
        if ok {
            Ok(Role(text.to_string()))
        } else {
            Err(Error::invalid(
                field,
                format!("`{text}` is not a role name (lowercase, e.g. `admin` or `notify:manage`)"),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Role {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Role::parse("role", &value).map_err(|e| e.to_string())
    }
}

impl From<Role> for String {
    fn from(value: Role) -> String {
        value.0
    }
}

/// A member's set of roles, stored as space-separated text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles(pub Vec<Role>);

impl Roles {
    pub fn parse_list(field: &str, items: &[String]) -> Result<Self, Error> {
        let mut roles = items
            .iter()
            .enumerate()
            .map(|(i, r)| Role::parse(&format!("{field}/{i}"), r.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        roles.sort();
        roles.dedup();
        Ok(Roles(roles))
    }

    /// Read back what [`Roles::to_text`] stored.
    pub fn from_text(text: &str) -> Self {
        Roles(text.split_whitespace().filter_map(|r| Role::parse("roles", r).ok()).collect())
    }

    pub fn to_text(&self) -> String {
        self.0.iter().map(Role::as_str).collect::<Vec<_>>().join(" ")
    }

    pub fn has(&self, role: &str) -> bool {
        self.0.iter().any(|r| r.as_str() == role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_rejects_bad_values_and_names_the_field() {
        assert_eq!(Email::parse("email", " A.Person@Agency.Example ").expect("ok").as_str(), "a.person@agency.example");
        for bad in ["", "nobody", "a@b", "a@@b.c", "a b@c.d", "@c.d", "a@.c"] {
            let err = Email::parse("email", bad).expect_err(bad);
            assert!(matches!(err, Error::Invalid { ref field, .. } if field == "email"), "{bad}");
        }
        assert!(Slug::parse("slug", "tax-office").is_ok());
        for bad in ["T", "-a", "a-", "a_b", "Tax"] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad}");
        }
        let roles = Roles::parse_list("roles", &["member".into(), "admin".into(), "admin".into()]).expect("roles");
        assert_eq!(roles.to_text(), "admin member");
        assert_eq!(Roles::from_text(&roles.to_text()), roles);
        let err = Roles::parse_list("roles", &["admin".into(), "Bad Role".into()]).expect_err("bad");
        assert!(err.to_string().starts_with("roles/1:"), "{err}");
    }
}
