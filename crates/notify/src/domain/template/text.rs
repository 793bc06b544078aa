//! String helpers reproducing Notify's formatters with Python's string semantics (what counts as
//! whitespace, how lines split, how URLs are quoted), so rendered text matches Notify's byte for byte.

use super::entities::unescape_strict;

/// Python's `str.isspace` for one character.
pub(crate) fn py_isspace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\x0b'
            | '\x0c'
            | '\r'
            | '\x1c'..='\x1f'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Python's `str.strip()`.
pub(crate) fn py_strip(s: &str) -> &str {
    s.trim_matches(py_isspace)
}

/// Python's `" ".join(s.split())`.
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split(py_isspace).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Python's `str.splitlines()` (without keeping the line ends).
pub(crate) fn py_splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let is_break =
            matches!(c, '\n' | '\r' | '\x0b' | '\x0c' | '\x1c' | '\x1d' | '\x1e' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if !is_break {
            continue;
        }
        lines.push(&s[start..i]);
        let mut next = i + c.len_utf8();
        if c == '\r' && iter.peek().map(|(_, n)| *n) == Some('\n') {
            iter.next();
            next += 1;
        }
        start = next;
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

/// Zero-width characters Notify removes (`OBSCURE_ZERO_WIDTH_WHITESPACE`).
pub(crate) const ZERO_WIDTH: [char; 6] = ['\u{180e}', '\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}'];

/// Notify's `normalise_whitespace`: no-break spaces become spaces, zero-width characters go, runs
/// of whitespace (newlines included) become one space, and the ends are trimmed.
pub(crate) fn normalise_whitespace(s: &str) -> String {
    let cleaned: String =
        s.chars().filter(|c| !ZERO_WIDTH.contains(c)).map(|c| if c == '\u{a0}' { ' ' } else { c }).collect();
    collapse_whitespace(&cleaned)
}

/// Notify's `normalise_whitespace_and_newlines`: each line normalised, lines kept.
pub(crate) fn normalise_whitespace_and_newlines(s: &str) -> String {
    py_splitlines(s).into_iter().map(normalise_whitespace).collect::<Vec<_>>().join("\n")
}

/// Notify's `normalise_multiple_newlines`: three or more newlines become two.
pub(crate) fn normalise_multiple_newlines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        if c == '\n' {
            run += 1;
            continue;
        }
        out.push_str(if run >= 3 { "\n\n" } else { &"\n\n"[..run] });
        run = 0;
        out.push(c);
    }
    out.push_str(if run >= 3 { "\n\n" } else { &"\n\n"[..run] });
    out
}

/// Notify's `remove_whitespace_before_punctuation`: spaces and tabs before `,` or `.` go.
pub(crate) fn remove_whitespace_before_punctuation(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending = String::new();
    for c in s.chars() {
        match c {
            ' ' | '\t' => pending.push(c),
            ',' | '.' => {
                pending.clear();
                out.push(c);
            }
            _ => {
                out.push_str(&pending);
                pending.clear();
                out.push(c);
            }
        }
    }
    out.push_str(&pending);
    out
}

/// Notify's `strip_and_remove_obscure_whitespace` (applied to each item of a list value).
pub(crate) fn strip_and_remove_obscure_whitespace(s: &str) -> String {
    let cleaned: String = s.chars().filter(|c| !ZERO_WIDTH.contains(c) && *c != '\u{a0}').collect();
    cleaned.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']).to_string()
}

/// Notify's `add_prefix`: `Prefix: body` when a prefix is set.
pub(crate) fn add_prefix(body: &str, prefix: Option<&str>) -> String {
    match prefix {
        Some(p) if !p.is_empty() => format!("{}: {body}", py_strip(p)),
        _ => body.to_string(),
    }
}

/// Notify's `unlink_govuk_escaped`: a zero-width space after the dot of `GOV.UK` stops mail clients
/// from turning it into a link (unless it is followed by `/`, `?` or `#`).
pub(crate) fn unlink_govuk_escaped(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let at_word = chars.len() >= i + 6
            && chars[i..i + 3].iter().collect::<String>().eq_ignore_ascii_case("gov")
            && chars[i + 3] == '.'
            && chars[i + 4..i + 6].iter().collect::<String>().eq_ignore_ascii_case("uk")
            && !matches!(chars.get(i + 6), Some('/' | '?' | '#'));
        let before_ok = match i {
            0 => true,
            1 => py_isspace(chars[0]) || matches!(chars[0], '#' | '*' | '^'),
            _ => py_isspace(chars[i - 1]) || (matches!(chars[i - 1], '#' | '*' | '^') && py_isspace(chars[i - 2])),
        };
        if at_word && before_ok {
            out.extend(&chars[i..i + 4]);
            out.push('\u{200b}');
            out.extend(&chars[i + 4..i + 6]);
            i += 6;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// Notify's `strip_unsupported_characters`: removes the line separator character.
pub(crate) fn strip_unsupported_characters(s: &str) -> String {
    s.replace('\u{2028}', "")
}

/// Notify's `escape_html`: references already in the text are decoded first (so they are not
/// escaped twice), `&nbsp;`, `&amp;`, `&lpar;` and `&rpar;` are kept as written, then `&`, `<` and `>`
/// are escaped. Quotes are left alone.
pub(crate) fn escape_html(s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    const KEEP: [(&str, &str); 4] = [
        ("&nbsp;", "\u{F8F0}nbsp\u{F8F1}"),
        ("&amp;", "\u{F8F0}amp\u{F8F1}"),
        ("&lpar;", "\u{F8F0}lpar\u{F8F1}"),
        ("&rpar;", "\u{F8F0}rpar\u{F8F1}"),
    ];
    let mut value = s.to_string();
    for (entity, temporary) in KEEP {
        value = value.replace(entity, temporary);
    }
    let mut value = unescape_strict(&value).replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    for (entity, temporary) in KEEP {
        value = value.replace(temporary, entity);
    }
    value
}

/// Escaping for text and attribute values that this engine writes itself.
pub(crate) fn escape_attr(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The markdown renderer's text escaping: `&` unless it starts a reference, `<` and `>`.
pub(crate) fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        match c {
            '&' => {
                let rest = &s[i + 1..];
                let body = rest.strip_prefix('#').unwrap_or(rest);
                let word = body.chars().take_while(|c| is_word(*c)).map(char::len_utf8).sum::<usize>();
                if word > 0 && body[word..].starts_with(';') {
                    out.push('&');
                } else {
                    out.push_str("&amp;");
                }
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Python's `urllib.parse.unquote` (UTF-8, invalid sequences replaced).
pub(crate) fn url_unquote(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = ((b[i + 1] as char).to_digit(16), (b[i + 2] as char).to_digit(16))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `urllib.parse.quote` with extra safe characters.
pub(crate) fn url_quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &byte in s.as_bytes() {
        let c = byte as char;
        if byte.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '~') || (byte.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The `href` Notify writes for a link: unquoted then quoted again, so quotes and spaces can never
/// break out of the attribute.
pub(crate) fn sanitise_href(link: &str) -> String {
    url_quote(&url_unquote(link), ":/?#=&;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_follows_python() {
        assert_eq!(normalise_whitespace(" a\u{a0}\u{a0}b\u{200b}c\n\td "), "a bc d");
        assert_eq!(py_splitlines("a\r\nb\rc\u{2028}d\n"), vec!["a", "b", "c", "d"]);
        assert_eq!(normalise_whitespace_and_newlines(" a  b \n\n  c "), "a b\n\nc");
        assert_eq!(normalise_multiple_newlines("a\n\n\n\nb\nc\n\n\n"), "a\n\nb\nc\n\n");
        assert_eq!(py_strip("\u{3000} x \u{85}"), "x");
    }

    #[test]
    fn punctuation_and_prefix() {
        assert_eq!(remove_whitespace_before_punctuation("Hello , world .\n x"), "Hello, world.\n x");
        assert_eq!(add_prefix("body", Some(" Service ")), "Service: body");
        assert_eq!(add_prefix("body", Some("")), "body");
        assert_eq!(add_prefix("body", None), "body");
    }

    #[test]
    fn govuk_is_unlinked_unless_it_is_a_url() {
        assert_eq!(unlink_govuk_escaped("Visit GOV.UK today"), "Visit GOV.\u{200b}UK today");
        assert_eq!(unlink_govuk_escaped("gov.uk"), "gov.\u{200b}uk");
        assert_eq!(unlink_govuk_escaped("*GOV.UK"), "*GOV.\u{200b}UK");
        assert_eq!(unlink_govuk_escaped("www.GOV.UK"), "www.GOV.UK");
        assert_eq!(unlink_govuk_escaped("GOV.UK/x and GOV.UK?q"), "GOV.UK/x and GOV.UK?q");
    }

    #[test]
    fn notify_html_escaping_keeps_existing_references() {
        assert_eq!(escape_html("a & b <i> &amp; &lt;x&gt; \"q\""), "a &amp; b &lt;i&gt; &amp; &lt;x&gt; \"q\"");
        assert_eq!(escape_html("&copy; &nbsp;"), "© &nbsp;");
        assert_eq!(markdown_escape("a & b &amp; &#39; <x>"), "a &amp; b &amp; &#39; &lt;x&gt;");
    }

    #[test]
    fn hrefs_are_quoted_like_urllib() {
        assert_eq!(
            sanitise_href("https://example.com/a b\"c?x=1&amp;y=2#f"),
            "https://example.com/a%20b%22c?x=1&amp;y=2#f"
        );
        assert_eq!(sanitise_href("https://example.com/%7Euser/é"), "https://example.com/~user/%C3%A9");
    }
}
