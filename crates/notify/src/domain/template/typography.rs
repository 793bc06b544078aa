//! Notify's `do_nice_typography`: no space before `,` and `.`, straight quotes made curly (the quote
//! rules of SmartyPants, which Notify runs with quotes and Unicode output only, skipping the
//! content of `<a>`, `<pre>`, `<code>` and similar tags), straight quotes restored inside email
//! addresses, and spaced hyphens turned into en dashes.

use super::text::{py_isspace, remove_whitespace_before_punctuation};

const OPEN_SINGLE: &str = "&#8216;";
const CLOSE_SINGLE: &str = "&#8217;";
const OPEN_DOUBLE: &str = "&#8220;";
const CLOSE_DOUBLE: &str = "&#8221;";

/// Characters standing in for backslash escapes while quotes are processed (SmartyPants turns
/// them into numeric references, which the quote rules never touch).
const ESCAPES: [(&str, char, char); 6] = [
    ("\\\\", '\u{F8E0}', '\\'),
    ("\\\"", '\u{F8E1}', '"'),
    ("\\'", '\u{F8E2}', '\''),
    ("\\.", '\u{F8E3}', '.'),
    ("\\-", '\u{F8E4}', '-'),
    ("\\`", '\u{F8E5}', '`'),
];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn word_at(t: &[char], i: usize) -> bool {
    t.get(i).is_some_and(|c| is_word(*c))
}

fn closes(c: char) -> bool {
    !matches!(c, ' ' | '\t' | '\r' | '\n' | '[' | '{' | '(' | '-')
}

fn ends_with(t: &[char], end: usize, s: &str) -> bool {
    let pat: Vec<char> = s.chars().collect();
    end >= pat.len() && t[end - pat.len()..end] == pat[..]
}

/// Whether the text before `i` opens a quote: whitespace, `&nbsp;`, `--` or a dash reference.
fn opening_context(t: &[char], i: usize) -> bool {
    (i > 0 && py_isspace(t[i - 1]))
        || ["&nbsp;", "--", "&mdash;", "&ndash;", "&#8211;", "&#8212;", "&#x2013;", "&#x2014;"]
            .iter()
            .any(|p| ends_with(t, i, p))
}

fn push(out: &mut Vec<char>, s: &str) {
    out.extend(s.chars());
}

/// `'"` or `"'` before a word character.
fn double_sets(t: &[char], first: char, second: char, replacement: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if t[i] == first && t.get(i + 1) == Some(&second) && word_at(t, i + 2) {
            push(&mut out, replacement);
            i += 2;
        } else {
            out.push(t[i]);
            i += 1;
        }
    }
    out
}

fn map_quotes(
    t: &[char],
    quote: char,
    mut rule: impl FnMut(&[char], usize, usize) -> Option<(usize, String)>,
) -> Vec<char> {
    // `rule(t, i, consumed)` returns how many characters after the quote it consumed and what
    // replaces the quote; `consumed` is the end of the previous match.
    let mut out = Vec::with_capacity(t.len());
    let mut consumed = 0;
    let mut i = 0;
    while i < t.len() {
        if t[i] == quote
            && let Some((extra, replacement)) = rule(t, i, consumed)
        {
            push(&mut out, &replacement);
            out.extend(&t[i + 1..i + 1 + extra]);
            i += 1 + extra;
            consumed = i;
            continue;
        }
        out.push(t[i]);
        i += 1;
    }
    out
}

/// SmartyPants' `convert_quotes` (its first two rules can never match and are left out).
fn convert_quotes(text: &str) -> String {
    let t: Vec<char> = text.chars().collect();
    let t = double_sets(&t, '"', '\'', "&#8220;&#8216;");
    let t = double_sets(&t, '\'', '"', "&#8216;&#8220;");
    // Decade abbreviations: the '80s.
    let t = map_quotes(&t, '\'', |t, i, _| {
        let decade = i > 0
            && is_word(t[i - 1])
            && t.get(i + 1).is_some_and(char::is_ascii_digit)
            && t.get(i + 2).is_some_and(char::is_ascii_digit)
            && t.get(i + 3) == Some(&'s');
        decade.then(|| (0, CLOSE_SINGLE.to_string()))
    });
    let t =
        map_quotes(&t, '\'', |t, i, _| (opening_context(t, i) && word_at(t, i + 1)).then(|| (0, OPEN_SINGLE.into())));
    let t = map_quotes(&t, '\'', |t, i, consumed| {
        let after = t.get(i + 1).copied();
        let blocked =
            after.is_some_and(|c| py_isspace(c) || c.is_numeric()) || (after == Some('s') && !word_at(t, i + 2));
        (i > consumed && closes(t[i - 1]) && !blocked).then(|| (0, CLOSE_SINGLE.into()))
    });
    let t = map_quotes(&t, '\'', |t, i, consumed| {
        let after = t.get(i + 1).copied();
        let follows = after.is_some_and(py_isspace) || (after == Some('s') && !word_at(t, i + 2));
        (i > consumed && closes(t[i - 1]) && follows).then(|| (1, CLOSE_SINGLE.into()))
    });
    let t = map_quotes(&t, '\'', |_, _, _| Some((0, OPEN_SINGLE.into())));
    let t =
        map_quotes(&t, '"', |t, i, _| (opening_context(t, i) && word_at(t, i + 1)).then(|| (0, OPEN_DOUBLE.into())));
    let t =
        map_quotes(&t, '"', |t, i, _| t.get(i + 1).is_some_and(|c| py_isspace(*c)).then(|| (0, CLOSE_DOUBLE.into())));
    let t = map_quotes(&t, '"', |t, i, consumed| (i > consumed && closes(t[i - 1])).then(|| (0, CLOSE_DOUBLE.into())));
    let t = map_quotes(&t, '"', |_, _, _| Some((0, OPEN_DOUBLE.into())));
    t.into_iter().collect()
}

fn finish_token(t: &str) -> String {
    let mut t = t.replace(OPEN_SINGLE, "\u{2018}").replace(CLOSE_SINGLE, "\u{2019}");
    t = t.replace(OPEN_DOUBLE, "\u{201c}").replace(CLOSE_DOUBLE, "\u{201d}");
    for (_, stand_in, original) in ESCAPES {
        t = t.replace(stand_in, &original.to_string());
    }
    t
}

/// Curly quotes for one run of text between tags. `previous` is the last character of the
/// previous run, the only context a run made of a lone quote gets.
pub(crate) fn smart_quotes_text(text: &str, previous: Option<char>) -> String {
    let mut t = text.to_string();
    for (escape, stand_in, _) in ESCAPES {
        t = t.replace(escape, &stand_in.to_string());
    }
    let after_text = previous.is_some_and(|c| !py_isspace(c));
    let t = match t.as_str() {
        "'" => if after_text { CLOSE_SINGLE } else { OPEN_SINGLE }.to_string(),
        "\"" => if after_text { CLOSE_DOUBLE } else { OPEN_DOUBLE }.to_string(),
        _ => convert_quotes(&t),
    };
    finish_token(&t)
}

const SKIPPED_TAGS: [&str; 9] = ["pre", "samp", "code", "tt", "kbd", "script", "style", "math", "a"];

/// SmartyPants over HTML: text between tags is educated, tags are kept, and the content of the
/// skipped elements is left alone.
pub(crate) fn make_quotes_smart(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 16);
    let mut skipped: Vec<&str> = Vec::new();
    let mut previous: Option<char> = None;
    let mut rest = html;
    let mut text_token = |text: &str, skipped: &Vec<&str>, out: &mut String| {
        let last = text.chars().last();
        if skipped.is_empty() {
            out.push_str(&smart_quotes_text(text, previous));
        } else {
            out.push_str(text);
        }
        previous = last;
    };
    loop {
        let tag = rest.find('<').and_then(|lt| rest[lt..].find('>').map(|gt| (lt, lt + gt + 1)));
        let Some((lt, end)) = tag else {
            if !rest.is_empty() {
                text_token(rest, &skipped, &mut out);
            }
            break;
        };
        if lt > 0 {
            text_token(&rest[..lt], &skipped, &mut out);
        }
        let tag = &rest[lt..end];
        out.push_str(tag);
        let lower = tag[1..].to_ascii_lowercase();
        let (closing, name) = match lower.strip_prefix('/') {
            Some(n) => (true, n),
            None => (false, lower.as_str()),
        };
        if let Some(skip) = SKIPPED_TAGS.iter().find(|s| name.starts_with(*s)) {
            if !closing {
                skipped.push(skip);
            } else if skipped.last() == Some(skip) {
                skipped.pop();
            }
        }
        rest = &rest[end..];
    }
    out
}

/// Notify's `remove_smart_quotes_from_email_addresses`.
pub(crate) fn remove_smart_quotes_from_email_addresses(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = chars.clone();
    let n = chars.len();
    let mut searched_to = 0;
    let mut i = 0;
    while i < n {
        if py_isspace(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let end = start + chars[start..].iter().take_while(|c| !py_isspace(**c)).count();
        let line_start = start == 0 || chars[start - 1] == '\n';
        let reachable = line_start || start > searched_to;
        let has_at = end - start >= 3 && chars[start + 1..end - 1].contains(&'@');
        if reachable && has_at {
            for c in &mut out[start..end] {
                if matches!(*c, '\u{2018}' | '\u{2019}') {
                    *c = '\'';
                }
            }
            searched_to = if end < n { end + 1 } else { end };
        }
        i = end;
    }
    out.into_iter().collect()
}

/// Notify's `replace_hyphens_with_en_dashes`: one to three dashes with whitespace on both sides
/// become a spaced en dash (the whitespace, newlines included, is replaced).
pub(crate) fn replace_hyphens_with_en_dashes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < n {
        if !py_isspace(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let ws_end = i + chars[i..].iter().take_while(|c| py_isspace(**c)).count();
        let dashes = chars[ws_end..].iter().take_while(|c| matches!(c, '-' | '\u{2013}' | '\u{2014}')).count();
        let after = ws_end + dashes;
        if (1..=3).contains(&dashes) && chars.get(after).is_some_and(|c| py_isspace(*c)) {
            let trail_end = after + chars[after..].iter().take_while(|c| py_isspace(**c)).count();
            out.push_str(" \u{2013} ");
            i = trail_end;
        } else {
            out.extend(&chars[i..ws_end]);
            i = ws_end;
        }
    }
    out
}

/// `do_nice_typography` over a whole string (HTML or plain text).
pub(crate) fn nice_typography(s: &str) -> String {
    let s = remove_whitespace_before_punctuation(s);
    let s = make_quotes_smart(&s);
    let s = remove_smart_quotes_from_email_addresses(&s);
    replace_hyphens_with_en_dashes(&s)
}

/// `do_nice_typography` applied run by run, for text that is kept as separate runs (letters).
pub(crate) struct Typographer {
    previous: Option<char>,
}

impl Typographer {
    pub(crate) fn new() -> Self {
        Self { previous: None }
    }

    pub(crate) fn run(&mut self, text: &str) -> String {
        let text = remove_whitespace_before_punctuation(text);
        let last = text.chars().last();
        let text = smart_quotes_text(&text, self.previous);
        self.previous = last;
        replace_hyphens_with_en_dashes(&remove_smart_quotes_from_email_addresses(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_become_curly() {
        assert_eq!(make_quotes_smart("Don't say \"hello\""), "Don\u{2019}t say \u{201c}hello\u{201d}");
        assert_eq!(make_quotes_smart("'Quoted' words"), "\u{2018}Quoted\u{2019} words");
        assert_eq!(make_quotes_smart("the '80s, in'90s and 'tis"), "the \u{2018}80s, in\u{2019}90s and \u{2018}tis");
        assert_eq!(make_quotes_smart("He said, \"'Hi' there.\""), "He said, \u{201c}\u{2018}Hi\u{2019} there.\u{201d}");
        assert_eq!(make_quotes_smart("James' book"), "James\u{2019} book");
        assert_eq!(make_quotes_smart("5' 10\""), "5\u{2019} 10\u{201d}");
        assert_eq!(make_quotes_smart("\\\"literal\\\""), "\"literal\"");
    }

    #[test]
    fn tags_are_kept_and_links_skipped() {
        assert_eq!(
            make_quotes_smart("<p style=\"a\">it's <a href=\"x\">don't</a> it's</p>"),
            "<p style=\"a\">it\u{2019}s <a href=\"x\">don't</a> it\u{2019}s</p>"
        );
        // A lone quote between tags takes its context from the previous run of text.
        assert_eq!(make_quotes_smart("word<b>'</b> <b>'</b>"), "word<b>\u{2019}</b> <b>\u{2018}</b>");
    }

    #[test]
    fn email_addresses_keep_straight_quotes() {
        assert_eq!(
            remove_smart_quotes_from_email_addresses("Write to o\u{2019}brien@example.com or \u{2018}me\u{2019}"),
            "Write to o'brien@example.com or \u{2018}me\u{2019}"
        );
        assert_eq!(nice_typography("o'neil@example.com"), "o'neil@example.com");
    }

    #[test]
    fn spaced_hyphens_become_en_dashes() {
        assert_eq!(
            replace_hyphens_with_en_dashes("a - b -- c --- d ---- e"),
            "a \u{2013} b \u{2013} c \u{2013} d ---- e"
        );
        assert_eq!(replace_hyphens_with_en_dashes("well-known -5 a -\nb"), "well-known -5 a \u{2013} b");
        assert_eq!(nice_typography("Hello , it's 9 - 5 ."), "Hello, it\u{2019}s 9 \u{2013} 5.");
    }

    #[test]
    fn runs_share_context() {
        let mut t = Typographer::new();
        assert_eq!(t.run("word"), "word");
        assert_eq!(t.run("'"), "\u{2019}");
    }
}
