//! What people type in pages' forms and what pages put in their links: instants typed as a
//! date or a date and time (read as UTC), query strings, and instants written back for people
//! to read.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Duration, PrimitiveDateTime};

use crate::db::Timestamp;

/// Which instant a date typed alone stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayEnd {
    /// Midnight at its start (from that day on; valid on that day).
    Start,
    /// Midnight after it, the first instant of the next day (up to the end of that day, as an
    /// exclusive bound).
    After,
    /// Its last instant, a microsecond before midnight (by the end of that day, as an
    /// inclusive bound).
    Last,
}

/// An instant typed in a form: empty for none; a date (`2024-06-01`, UTC, at the given end of
/// the day); a date and time in UTC (`2024-06-01T14:30`, as `datetime-local` inputs send it,
/// or with seconds, or with a space instead of `T`); or RFC 3339 with an offset. `Err` when it
/// is none of those, for the page to say so next to the field.
#[allow(clippy::result_unit_err)]
pub fn instant(text: &str, end: DayEnd) -> Result<Option<Timestamp>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(date) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        let start = date.midnight().assume_utc();
        return Ok(Some(Timestamp::from(match end {
            DayEnd::Start => start,
            DayEnd::After => start + Duration::days(1),
            DayEnd::Last => start + Duration::days(1) - Duration::microseconds(1),
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

/// A query string (`application/x-www-form-urlencoded`, as forms send it and the `Query`
/// extractor reads it) from `(name, value)` pairs in their order, without the leading `?`.
pub fn query<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// An instant as people read it (UTC), with its machine-readable form for `<time datetime>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct When {
    /// RFC 3339, to the microsecond.
    pub iso: String,
    /// `2024-06-01 14:30:15 UTC` ([`When::of`]) or `2024-06-01 14:30 UTC` ([`When::to_minute`]).
    pub text: String,
}

impl When {
    /// To the second.
    pub fn of(t: Timestamp) -> When {
        When::written(t, format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"))
    }

    /// To the minute.
    pub fn to_minute(t: Timestamp) -> When {
        When::written(t, format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
    }

    fn written(t: Timestamp, format: &[BorrowedFormatItem<'_>]) -> When {
        When { iso: t.to_fixed(), text: t.inner().format(format).unwrap_or_default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str, end: DayEnd) -> String {
        instant(text, end).expect("parses").expect("an instant").to_fixed()
    }

    #[test]
    fn dates_stand_for_the_chosen_end_of_their_day() {
        assert_eq!(fixed("2024-06-01", DayEnd::Start), "2024-06-01T00:00:00.000000Z");
        assert_eq!(fixed(" 2024-06-01 ", DayEnd::After), "2024-06-02T00:00:00.000000Z");
        assert_eq!(fixed("2024-06-01", DayEnd::Last), "2024-06-01T23:59:59.999999Z");
        assert_eq!(fixed("2024-06-01T14:30", DayEnd::After), "2024-06-01T14:30:00.000000Z");
        assert_eq!(fixed("2024-06-01T14:30", DayEnd::Last), "2024-06-01T14:30:00.000000Z");
        assert_eq!(fixed("2024-06-01 14:30:15", DayEnd::Start), "2024-06-01T14:30:15.000000Z");
        assert_eq!(fixed("2024-06-01T14:30:00+02:00", DayEnd::Start), "2024-06-01T12:30:00.000000Z");
        assert_eq!(instant("  ", DayEnd::Start), Ok(None));
        assert!(instant("01/06/2024", DayEnd::Start).is_err());
        assert!(instant("2024-02-30", DayEnd::Start).is_err());
    }

    #[test]
    fn query_strings_are_form_encoded_in_order() {
        assert_eq!(query([("client", "DL/GOV/7 é"), ("before", "12")]), "client=DL%2FGOV%2F7+%C3%A9&before=12");
        assert_eq!(query([("name", "Martin & Co"), ("x", "")]), "name=Martin+%26+Co&x=");
        assert_eq!(query(Vec::<(String, String)>::new()), "");
    }

    #[test]
    fn instants_read_to_the_second_or_the_minute() {
        let t = Timestamp::parse("2026-03-04T05:06:07.5Z").expect("time");
        assert_eq!(When::of(t).text, "2026-03-04 05:06:07 UTC");
        assert_eq!(When::to_minute(t).text, "2026-03-04 05:06 UTC");
        assert_eq!(When::of(t).iso, "2026-03-04T05:06:07.500000Z");
    }
}
