//! Text messages as Notify sends them: the body after personalisation (lists as `a, b and c`),
//! the optional `Service name: ` prefix, whitespace tidied, characters downgraded to what GSM
//! phones display (`’` to `'`, `–` to `-`, accents removed unless GSM or Welsh has them, anything
//! else `?`), and the counts Notify bills and limits by.

use serde::{Deserialize, Serialize};

use super::placeholder::{FieldMode, Values, fill};
use super::sms_table::base_of;
use super::text::{
    add_prefix, normalise_multiple_newlines, normalise_whitespace_and_newlines, py_strip,
    remove_whitespace_before_punctuation,
};

/// Notify's `SMS_CHAR_COUNT_LIMIT` (six fragments of 153 characters).
pub const SMS_CHAR_COUNT_LIMIT: usize = 918;

const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM_EXTENDED: &str = "^{}\\[~]|€";
const WELSH_DIACRITICS: &str = "àèìòùẁỳÀÈÌÒÙẀỲáéíóúẃýÁÉÍÓÚẂÝäëïöüẅÿÄËÏÖÜẄŸâêîôûŵŷÂÊÎÔÛŴŶ";

/// How a message travels: GSM 7-bit, or UCS-2 when it holds a Welsh character GSM lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// What a message costs in Notify's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsInfo {
    pub encoding: SmsEncoding,
    /// Characters as Notify counts them for fragments: the characters of the message (before
    /// downgrading) plus one for each GSM extended character (`^{}\[~]|€`) it is sent with.
    pub characters: usize,
    /// Fragments (billable units): 160/153 characters each in GSM, 70/67 in UCS-2.
    pub fragments: usize,
}

fn is_gsm(c: char) -> bool {
    GSM.contains(c) || GSM_EXTENDED.contains(c)
}

fn welsh_non_gsm(c: char) -> bool {
    WELSH_DIACRITICS.contains(c) && !is_gsm(c)
}

fn replacement(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2013}' | '\u{2014}' => "-",
        '\u{2026}' => "...",
        '\u{2018}' | '\u{2019}' => "'",
        '\u{201c}' | '\u{201d}' => "\"",
        '\u{180e}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{2028}' | '\u{2029}' => "",
        '\u{a0}' | '\u{202f}' | '\t' => " ",
        'Ł' => "L",
        'ł' => "l",
        _ => return None,
    })
}

/// Notify's `SanitiseSMS.encode`: keeps GSM and Welsh characters, downgrades the rest, `?` for
/// what cannot be downgraded.
pub fn sms_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_gsm(c) || WELSH_DIACRITICS.contains(c) {
            out.push(c);
        } else if let Some(base) = base_of(c) {
            out.push(base);
        } else if let Some(r) = replacement(c) {
            out.push_str(r);
        } else {
            out.push('?');
        }
    }
    out
}

/// Encoding, character count and fragments of a message (before downgrading, prefix included).
pub fn sms_info(text: &str) -> SmsInfo {
    let encoded = sms_encode(text);
    let extended = encoded.chars().filter(|c| GSM_EXTENDED.contains(*c)).count();
    let characters = text.chars().count() + extended;
    let ucs2 = encoded.chars().any(welsh_non_gsm);
    let fragments = match (ucs2, characters) {
        (true, n) if n <= 70 => 1,
        (true, n) => n.div_ceil(67),
        (false, n) if n <= 160 => 1,
        (false, n) => n.div_ceil(153),
    };
    SmsInfo { encoding: if ucs2 { SmsEncoding::Ucs2 } else { SmsEncoding::Gsm7 }, characters, fragments }
}

/// A personalised text message.
pub(crate) struct Sms {
    /// The message as sent (and as the API returns it as `body`).
    pub body: String,
    /// Notify's `content_count_without_prefix`, which the 918 limit applies to.
    pub length_without_prefix: usize,
    pub info: SmsInfo,
}

pub(crate) fn render_sms(content: &str, values: &Values<'_>, prefix: Option<&str>) -> Sms {
    let filled = fill(content, values, FieldMode { escape: false, markdown_lists: false, markup: false });
    let text = add_prefix(&filled, prefix);
    let text = remove_whitespace_before_punctuation(&text);
    let text = normalise_whitespace_and_newlines(&text);
    let text = normalise_multiple_newlines(&text);
    let unsanitised = py_strip(&text).to_string();
    let count = unsanitised.chars().count();
    let length_without_prefix = match prefix {
        Some(p) if !p.is_empty() => count.saturating_sub(p.chars().count() + 2),
        _ => count,
    };
    Sms { body: sms_encode(&unsanitised), info: sms_info(&unsanitised), length_without_prefix }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sms(content: &str, p: serde_json::Value, prefix: Option<&str>) -> Sms {
        let map = p.as_object().cloned().unwrap_or_default();
        render_sms(content, &Values::new(&map), prefix)
    }

    #[test]
    fn downgrades_like_notify() {
        assert_eq!(sms_encode("‘Hi’ “there” – — … \u{a0}x\u{200b}y\tz"), "'Hi' \"there\" - - ...  xy z");
        assert_eq!(sms_encode("Ŵyt ti’n iawn? ā ç ñ Ł 😀 中"), "Ŵyt ti'n iawn? a c ñ L ? ?");
        assert_eq!(sms_encode("€[]{}^~|\\"), "€[]{}^~|\\");
    }

    #[test]
    fn counts_and_fragments() {
        assert_eq!(sms_info(&"a".repeat(160)), SmsInfo { encoding: SmsEncoding::Gsm7, characters: 160, fragments: 1 });
        assert_eq!(sms_info(&"a".repeat(161)).fragments, 2);
        assert_eq!(sms_info(&"a".repeat(306)).fragments, 2);
        assert_eq!(sms_info(&"a".repeat(307)).fragments, 3);
        // Extended characters count twice.
        assert_eq!(sms_info(&"€".repeat(80)), SmsInfo { encoding: SmsEncoding::Gsm7, characters: 160, fragments: 1 });
        assert_eq!(sms_info(&format!("{}[", "a".repeat(159))).fragments, 2);
        // A Welsh character outside GSM switches to UCS-2.
        assert_eq!(
            sms_info(&format!("ŵ{}", "a".repeat(69))),
            SmsInfo { encoding: SmsEncoding::Ucs2, characters: 70, fragments: 1 }
        );
        assert_eq!(sms_info(&format!("ŵ{}", "a".repeat(70))).fragments, 2);
        assert_eq!(sms_info(&format!("ŵ{}", "a".repeat(133))).fragments, 2);
        assert_eq!(sms_info(&format!("ŵ{}", "a".repeat(134))).fragments, 3);
        // é is GSM: no switch. Emoji is downgraded, so no switch either; it still counts once.
        assert_eq!(sms_info("é😀").encoding, SmsEncoding::Gsm7);
        assert_eq!(sms_info("é😀").characters, 2);
        assert_eq!(sms_info("").fragments, 1);
    }

    #[test]
    fn prefix_whitespace_and_lists() {
        let s = sms(
            "Hello ((name)) ,\n\n\n\n  your  items: ((items)) .  ",
            json!({"name": "Ada", "items": ["tea", "cake", "jam"]}),
            Some("Council"),
        );
        assert_eq!(s.body, "Council: Hello Ada,\n\nyour items: tea, cake and jam.");
        assert_eq!(s.length_without_prefix, s.body.chars().count() - "Council".len() - 2);
        assert_eq!(s.info.characters, s.body.chars().count());
        assert_eq!(sms("Hi", json!({}), None).body, "Hi");
    }
}
