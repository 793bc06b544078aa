//! Recipients as GOV.UK Notify validates them: email addresses, phone numbers (UK mobiles and
//! international numbers in E.164) and postal addresses. Messages are Notify's own.

/// An email address that passed Notify's checks, and its normalised form for comparisons.
pub fn validate_email(raw: &str) -> Result<String, &'static str> {
    const INVALID: &str = "Not a valid email address";
    let email: String = raw.trim().chars().filter(|c| !is_invisible(*c)).collect();
    if email.len() > 320 || email.contains("..") {
        return Err(INVALID);
    }
    let Some((local, host)) = email.rsplit_once('@') else {
        return Err(INVALID);
    };
    let local_ok =
        !local.is_empty() && local.chars().all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
    if !local_ok
        || host.is_empty()
        || host.starts_with('.')
        || host.contains('@')
        || host.chars().any(char::is_whitespace)
    {
        return Err(INVALID);
    }
    let host = host.to_ascii_lowercase();
    let parts: Vec<&str> = host.split('.').collect();
    if host.len() > 253 || parts.len() < 2 {
        return Err(INVALID);
    }
    if !parts.iter().all(|p| !p.is_empty() && p.len() <= 63 && hostname_part(p)) {
        return Err(INVALID);
    }
    let tld = parts[parts.len() - 1];
    let tld_ok = (tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())) || tld.starts_with("xn--");
    if !tld_ok {
        return Err(INVALID);
    }
    Ok(format!("{local}@{host}"))
}

/// The form used to compare addresses (guest lists, team members, simulated addresses).
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn hostname_part(part: &str) -> bool {
    // ^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$
    let bytes = part.as_bytes();
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut dashes = 0;
    for b in bytes {
        if *b == b'-' {
            dashes += 1;
            if dashes > 2 {
                return false;
            }
        } else if b.is_ascii_alphanumeric() {
            dashes = 0;
        } else {
            return false;
        }
    }
    true
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00A0}')
}

/// A phone number in E.164 (`+447700900123`), or Notify's message for what is wrong.
/// UK numbers may be written nationally (`07700 900123`); others need their country code.
pub fn validate_phone(raw: &str, international: bool) -> Result<String, &'static str> {
    let cleaned: String =
        raw.trim().chars().filter(|c| !c.is_whitespace() && !"()-.".contains(*c) && !is_invisible(*c)).collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Must not contain letters or symbols");
    }
    let uk = if let Some(rest) = digits.strip_prefix("0044") {
        Some(rest.trim_start_matches('0'))
    } else if let Some(rest) = digits.strip_prefix("44") {
        Some(rest.trim_start_matches('0'))
    } else if !cleaned.starts_with('+') && digits.starts_with('0') && !digits.starts_with("00") {
        Some(&digits[1..])
    } else if !cleaned.starts_with('+') && digits.starts_with('7') && digits.len() == 10 {
        Some(digits)
    } else {
        None
    };
    match uk {
        Some(national) => {
            if !national.starts_with('7') {
                return Err(if international { "Not a valid country prefix" } else { "Not a UK mobile number" });
            }
            match national.len() {
                n if n > 10 => Err("Too many digits"),
                n if n < 10 => Err("Not enough digits"),
                _ => Ok(format!("+44{national}")),
            }
        }
        None => {
            if !international {
                return Err("Not a UK mobile number");
            }
            let number = digits.strip_prefix("00").unwrap_or(digits);
            match number.len() {
                n if n > 15 => Err("Too many digits"),
                n if n < 8 => Err("Not enough digits"),
                _ if number.starts_with('0') => Err("Not a valid country prefix"),
                _ => Ok(format!("+{number}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_as_notify_checks_them() {
        assert_eq!(validate_email(" Ada@Example.GOV.uk ").as_deref(), Ok("Ada@example.gov.uk"));
        for ok in ["a.b+c@x-y.example", "x@xn--bcher-kva.example", "o'neil@sub.domain.co.uk"] {
            assert!(validate_email(ok).is_ok(), "{ok}");
        }
        for bad in ["", "plain", "a@b", "a..b@x.com", "a@x..com", "a@-x.com", "a b@x.com", "a@x.c0m", "a@x.c", "@x.com"]
        {
            assert_eq!(validate_email(bad), Err("Not a valid email address"), "{bad}");
        }
    }

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(validate_phone("07700 900123", false).as_deref(), Ok("+447700900123"));
        assert_eq!(validate_phone("+44 (0)7700-900123", false).as_deref(), Ok("+447700900123"));
        assert_eq!(validate_phone("7700900123", false).as_deref(), Ok("+447700900123"));
        assert_eq!(validate_phone("+33 6 12 34 56 78", true).as_deref(), Ok("+33612345678"));
        assert_eq!(validate_phone("+33 6 12 34 56 78", false), Err("Not a UK mobile number"));
        assert_eq!(validate_phone("0770090012", false), Err("Not enough digits"));
        assert_eq!(validate_phone("077009001234", false), Err("Too many digits"));
        assert_eq!(validate_phone("01632 960001", false), Err("Not a UK mobile number"));
        assert_eq!(validate_phone("0770090012a", false), Err("Must not contain letters or symbols"));
    }
}
