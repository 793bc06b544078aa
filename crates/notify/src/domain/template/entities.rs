//! HTML character references: the table and the two decoders Notify relies on (`html.unescape` and the
//! stricter, semicolon-only variant used before escaping personalisation).
//!
//! The table holds every legacy reference (those valid without a trailing semicolon) plus the
//! punctuation and typographic references that appear in real templates; other named references are
//! left as written.

/// `(name, replacement, valid without semicolon)`, sorted by name for binary search.
#[rustfmt::skip]
const ENTITIES: &[(&str, &str, bool)] = &[
    ("AElig", "Æ", true), ("AMP", "&", true), ("Aacute", "Á", true), ("Acirc", "Â", true), ("Agrave", "À", true),
    ("Aring", "Å", true), ("Atilde", "Ã", true), ("Auml", "Ä", true), ("COPY", "©", true), ("Ccedil", "Ç", true),
    ("Dagger", "‡", false), ("ETH", "Ð", true), ("Eacute", "É", true), ("Ecirc", "Ê", true), ("Egrave", "È", true),
    ("Euml", "Ë", true), ("GT", ">", true), ("Iacute", "Í", true), ("Icirc", "Î", true), ("Igrave", "Ì", true),
    ("Iuml", "Ï", true), ("LT", "<", true), ("NewLine", "\n", false), ("Ntilde", "Ñ", true), ("OElig", "Œ", false),
    ("Oacute", "Ó", true), ("Ocirc", "Ô", true), ("Ograve", "Ò", true), ("Oslash", "Ø", true), ("Otilde", "Õ", true),
    ("Ouml", "Ö", true), ("Prime", "″", false), ("QUOT", "\"", true), ("REG", "®", true), ("Scaron", "Š", false),
    ("THORN", "Þ", true), ("Tab", "\t", false), ("Uacute", "Ú", true), ("Ucirc", "Û", true), ("Ugrave", "Ù", true),
    ("Uuml", "Ü", true), ("Yacute", "Ý", true), ("Yuml", "Ÿ", false), ("aacute", "á", true), ("acirc", "â", true),
    ("acute", "´", true), ("aelig", "æ", true), ("agrave", "à", true), ("amp", "&", true), ("apos", "'", false),
    ("aring", "å", true), ("ast", "*", false), ("atilde", "ã", true), ("auml", "ä", true), ("bdquo", "„", false),
    ("brvbar", "¦", true), ("bsol", "\\", false), ("bull", "•", false), ("ccedil", "ç", true), ("cedil", "¸", true),
    ("cent", "¢", true), ("circ", "ˆ", false), ("colon", ":", false), ("comma", ",", false), ("commat", "@", false),
    ("copy", "©", true), ("curren", "¤", true), ("dagger", "†", false), ("darr", "↓", false), ("dash", "‐", false),
    ("deg", "°", true), ("divide", "÷", true), ("dollar", "$", false), ("eacute", "é", true), ("ecirc", "ê", true),
    ("egrave", "è", true), ("emsp", "\u{2003}", false), ("ensp", "\u{2002}", false), ("equals", "=", false),
    ("eth", "ð", true), ("euml", "ë", true), ("euro", "€", false), ("excl", "!", false), ("fnof", "ƒ", false),
    ("frac12", "½", true), ("frac14", "¼", true), ("frac34", "¾", true), ("grave", "`", false), ("gt", ">", true),
    ("harr", "↔", false), ("hellip", "…", false), ("hyphen", "‐", false), ("iacute", "í", true), ("icirc", "î", true),
    ("iexcl", "¡", true), ("igrave", "ì", true), ("iquest", "¿", true), ("iuml", "ï", true), ("laquo", "«", true),
    ("larr", "←", false), ("lcub", "{", false), ("ldquo", "“", false), ("lowbar", "_", false), ("lpar", "(", false),
    ("lrm", "\u{200e}", false), ("lsaquo", "‹", false), ("lsqb", "[", false), ("lsquo", "‘", false),
    ("lt", "<", true), ("macr", "¯", true), ("mdash", "—", false), ("micro", "µ", true), ("middot", "·", true),
    ("minus", "−", false), ("nbsp", "\u{a0}", true), ("ndash", "–", false), ("not", "¬", true), ("ntilde", "ñ", true),
    ("num", "#", false), ("oacute", "ó", true), ("ocirc", "ô", true), ("oelig", "œ", false), ("ograve", "ò", true),
    ("ordf", "ª", true), ("ordm", "º", true), ("oslash", "ø", true), ("otilde", "õ", true), ("ouml", "ö", true),
    ("para", "¶", true), ("percnt", "%", false), ("period", ".", false), ("permil", "‰", false), ("plus", "+", false),
    ("plusmn", "±", true), ("pound", "£", true), ("prime", "′", false), ("quest", "?", false), ("quot", "\"", true),
    ("raquo", "»", true), ("rarr", "→", false), ("rcub", "}", false), ("rdquo", "”", false), ("reg", "®", true),
    ("rlm", "\u{200f}", false), ("rpar", ")", false), ("rsaquo", "›", false), ("rsqb", "]", false),
    ("rsquo", "’", false), ("sbquo", "‚", false), ("scaron", "š", false), ("sect", "§", true), ("semi", ";", false),
    ("shy", "\u{ad}", true), ("sol", "/", false), ("sup1", "¹", true), ("sup2", "²", true), ("sup3", "³", true),
    ("szlig", "ß", true), ("thinsp", "\u{2009}", false), ("thorn", "þ", true), ("tilde", "˜", false),
    ("times", "×", true), ("trade", "™", false), ("uacute", "ú", true), ("uarr", "↑", false), ("ucirc", "û", true),
    ("ugrave", "ù", true), ("uml", "¨", true), ("uuml", "ü", true), ("verbar", "|", false), ("yacute", "ý", true),
    ("yen", "¥", true), ("yuml", "ÿ", true), ("zwj", "\u{200d}", false), ("zwnj", "\u{200c}", false),
];

fn lookup(name: &str, legacy_only: bool) -> Option<&'static str> {
    let i = ENTITIES.binary_search_by(|(n, _, _)| (*n).cmp(name)).ok()?;
    let (_, value, legacy) = ENTITIES[i];
    (!legacy_only || legacy).then_some(value)
}

/// Python's `html._replace_charref` for a numeric reference.
fn numeric(num: Option<u32>) -> String {
    let Some(num) = num else { return '\u{FFFD}'.to_string() };
    if num == 0 {
        return '\u{FFFD}'.to_string();
    }
    if num == 0x0d {
        return "\r".to_string();
    }
    if (0x80..=0x9f).contains(&num) {
        const CP1252: [u32; 32] = [
            0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
            0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
            0x0153, 0x9D, 0x017E, 0x0178,
        ];
        let mapped = CP1252[(num - 0x80) as usize];
        return char::from_u32(mapped).map(String::from).unwrap_or_default();
    }
    if (0xD800..=0xDFFF).contains(&num) || num > 0x10FFFF {
        return '\u{FFFD}'.to_string();
    }
    let invalid = (0x1..=0x8).contains(&num)
        || (0xe..=0x1f).contains(&num)
        || (0x7f..=0x9f).contains(&num)
        || (0xfdd0..=0xfdef).contains(&num)
        || num == 0xb
        || (num & 0xFFFE) == 0xFFFE;
    if invalid {
        return String::new();
    }
    char::from_u32(num).map(String::from).unwrap_or_default()
}

/// Length in bytes of the character reference body starting after `&` at `s`, per the regular
/// expression of `html.unescape` (`strict` demands the trailing semicolon).
fn reference_len(s: &str, strict: bool) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let (digits_start, hex) = match b.get(1) {
            Some(b'x' | b'X') => (2, true),
            _ => (1, false),
        };
        let n = b[digits_start..]
            .iter()
            .take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() })
            .count();
        if n == 0 {
            return None;
        }
        let end = digits_start + n;
        return match b.get(end) {
            Some(b';') => Some(end + 1),
            _ if strict => None,
            _ => Some(end),
        };
    }
    let mut end = 0;
    for (count, (i, c)) in s.char_indices().enumerate() {
        if count == 32 || matches!(c, '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';') {
            break;
        }
        end = i + c.len_utf8();
    }
    if end == 0 {
        return None;
    }
    match b.get(end) {
        Some(b';') => Some(end + 1),
        _ if strict => None,
        _ => Some(end),
    }
}

fn replace_reference(body: &str) -> String {
    if let Some(num) = body.strip_prefix('#') {
        let num = num.trim_end_matches(';');
        let parsed = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => num.parse::<u32>().ok(),
        };
        return numeric(parsed);
    }
    if let Some(name) = body.strip_suffix(';')
        && let Some(value) = lookup(name, false)
    {
        return value.to_string();
    }
    if let Some(value) = lookup(body, true) {
        return value.to_string();
    }
    // The longest legacy name that prefixes the reference wins; the rest stays as text.
    let bounds: Vec<usize> = body.char_indices().map(|(i, _)| i).skip(2).collect();
    for &x in bounds.iter().rev() {
        if let Some(value) = lookup(&body[..x], true) {
            return format!("{value}{}", &body[x..]);
        }
    }
    format!("&{body}")
}

fn decode(s: &str, strict: bool) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        match reference_len(after, strict) {
            Some(len) => {
                out.push_str(&replace_reference(&after[..len]));
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Python's `html.unescape`: decodes every character reference, with or without semicolon.
pub(crate) fn unescape(s: &str) -> String {
    decode(s, false)
}

/// Notify's `unescape_strict`: only references terminated by a semicolon are decoded.
pub(crate) fn unescape_strict(s: &str) -> String {
    decode(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(ENTITIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn decodes_like_python_html_unescape() {
        assert_eq!(unescape("a &amp; b &lt;c&gt; &#39;d&#x27; &copy;"), "a & b <c> 'd' ©");
        assert_eq!(unescape("&amp"), "&");
        assert_eq!(unescape("&ampfoo"), "&foo");
        assert_eq!(unescape("&unknown; & &"), "&unknown; & &");
        assert_eq!(unescape("&#128;&#0;&#x110000;"), "€\u{FFFD}\u{FFFD}");
        assert_eq!(unescape("&rsquo;&hellip;&nbsp;"), "’…\u{a0}");
    }

    #[test]
    fn strict_variant_requires_semicolons() {
        assert_eq!(unescape_strict("&amp &lt; &#40 &#41;"), "&amp < &#40 )");
        assert_eq!(unescape_strict("&ampfoo;"), "&foo;");
    }
}
