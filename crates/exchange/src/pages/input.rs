//! What people type in the pages' forms: dates and instants (UTC), and the query strings of
//! the links the pages build.

use publica_kernel::db::Timestamp;
use time::macros::format_description;
use time::{Date, Duration, PrimitiveDateTime};

/// Which end of a day a date alone stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DayEnd {
    /// Midnight at its start (entries from that day on).
    Start,
    /// Midnight after it (entries up to the end of that day).
    After,
}

/// An instant typed in a form: empty for none; a date (`2024-06-01`, UTC, at the given end of
/// the day); a date and time in UTC (`2024-06-01T14:30`, as `datetime-local` inputs send it, or
/// with seconds, or with a space instead of `T`); or RFC 3339 with an offset. `Err` otherwise.
pub(crate) fn instant(text: &str, end: DayEnd) -> Result<Option<Timestamp>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let start = date.midnight().assume_utc();
        return Ok(Some(Timestamp::from(match end {
            DayEnd::Start => start,
            DayEnd::After => start + Duration::days(1),
        })));
    }
    if let Ok(t) = Timestamp::parse(text) {
        return Ok(Some(t));
    }
    let local = text.replacen(' ', "T", 1);
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(&local, minutes)
        .or_else(|_| PrimitiveDateTime::parse(&local, seconds))
        .map(|t| Some(Timestamp::from(t.assume_utc())))
        .map_err(|_| ())
}

/// Percent-encode a query string component (everything but RFC 3986's unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A query string from `(name, value)` pairs, without the leading `?`; empty values are left out.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str, end: DayEnd) -> String {
        instant(text, end).expect("parses").expect("an instant").to_fixed()
    }

    #[test]
    fn dates_stand_for_an_end_of_their_day() {
        assert_eq!(fixed("2024-06-01", DayEnd::Start), "2024-06-01T00:00:00.000000Z");
        assert_eq!(fixed(" 2024-06-01 ", DayEnd::After), "2024-06-02T00:00:00.000000Z");
        assert_eq!(fixed("2024-06-01T14:30", DayEnd::After), "2024-06-01T14:30:00.000000Z");
        assert_eq!(fixed("2024-06-01 14:30:15", DayEnd::Start), "2024-06-01T14:30:15.000000Z");
        assert_eq!(fixed("2024-06-01T14:30:00+02:00", DayEnd::Start), "2024-06-01T12:30:00.000000Z");
        assert_eq!(instant("  ", DayEnd::Start), Ok(None));
        assert!(instant("01/06/2024", DayEnd::Start).is_err());
        assert!(instant("2024-02-30", DayEnd::Start).is_err());
    }

    #[test]
    fn query_components_are_percent_encoded_and_empty_ones_left_out() {
        assert_eq!(encode("DL/GOV/70000001/é"), "DL%2FGOV%2F70000001%2F%C3%A9");
        assert_eq!(query(&[("client", "a b"), ("status", ""), ("before", "12")]), "client=a%20b&before=12");
    }
}
