//! Inline markdown as Notify parses it: `[text](url "title")` links, bare `http(s)://` links
//! (trailing punctuation left out), `<…>` links, `![image](…)` (dropped), backslash escapes and
//! hard line breaks. No emphasis and no code spans: `*`, `_` and backticks stay as written.

use super::text::py_isspace;

fn leading_spaces(s: &str) -> usize {
    s.bytes().take_while(|b| *b == b' ').count()
}

/// Inline content of a block.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Inline {
    Text(String),
    LineBreak,
    Link { content: Vec<Inline>, href: String, title: Option<String> },
    AutoLink { link: String, email: bool },
    Image,
}

const ESCAPABLE: &str = "\\`*{}[]()#+-.!_>~|";
const MAX_INLINE_DEPTH: usize = 8;

/// Parses inline content (links, bare URLs, line breaks, backslash escapes).
pub(crate) fn parse_inline(src: &str) -> Vec<Inline> {
    inline(src, false, 0)
}

fn push_text(out: &mut Vec<Inline>, s: &str) {
    if let Some(Inline::Text(t)) = out.last_mut() {
        t.push_str(s);
    } else {
        out.push(Inline::Text(s.to_string()));
    }
}

fn inline(src: &str, in_link: bool, depth: usize) -> Vec<Inline> {
    let mut out = Vec::new();
    let b = src.as_bytes();
    let text_end = src.trim_end_matches(py_isspace).len();
    let brackets = src.contains('[').then(|| Brackets::new(src));
    let mut i = 0;
    while i < src.len() {
        let s = &src[i..];
        if b[i] == b'\\'
            && let Some(c) = s[1..].chars().next()
            && ESCAPABLE.contains(c)
        {
            push_text(&mut out, &s[1..1 + c.len_utf8()]);
            i += 1 + c.len_utf8();
            continue;
        }
        if b[i] == b'<'
            && let Some((link, email, used)) = angle_autolink(s)
        {
            out.push(Inline::AutoLink { link, email });
            i += used;
            continue;
        }
        if (s.starts_with("http://") || s.starts_with("https://"))
            && let Some(used) = bare_url(s)
        {
            let link = s[..used].to_string();
            if in_link {
                push_text(&mut out, &link);
            } else {
                out.push(Inline::AutoLink { link, email: false });
            }
            i += used;
            continue;
        }
        if (b[i] == b'[' || s.starts_with("!["))
            && depth < MAX_INLINE_DEPTH
            && let Some(brackets) = &brackets
            && let Some((inline, end)) = link(src, i, brackets, depth)
        {
            out.push(inline);
            i = end;
            continue;
        }
        if b[i] == b' ' || b[i] == b'\n' {
            let spaces = leading_spaces(s);
            if s.as_bytes().get(spaces) == Some(&b'\n') && i + spaces + 1 < text_end {
                out.push(Inline::LineBreak);
                i += spaces + 1;
                continue;
            }
        }
        let len = s.chars().next().map_or(1, char::len_utf8);
        push_text(&mut out, &s[..len]);
        i += len;
    }
    out
}

/// `<([^ >]+(@|:)[^ >]+)>`
fn angle_autolink(s: &str) -> Option<(String, bool, usize)> {
    let body_len = s[1..].bytes().take_while(|b| *b != b' ' && *b != b'>').count();
    if s.as_bytes().get(1 + body_len) != Some(&b'>') {
        return None;
    }
    let body = &s[1..1 + body_len];
    let sep = body.char_indices().rev().find(|(i, c)| matches!(c, '@' | ':') && *i > 0 && *i + 1 < body.len())?;
    Some((body.to_string(), sep.1 == '@', body_len + 2))
}

/// `https?:\/\/[^\s<]+[^<.,:"')\]\s]`
fn bare_url(s: &str) -> Option<usize> {
    let scheme = if s.starts_with("https://") { 8 } else { 7 };
    let run: Vec<(usize, char)> =
        s[scheme..].char_indices().take_while(|(_, c)| !py_isspace(*c) && *c != '<').collect();
    let last = run.iter().rposition(|(_, c)| !matches!(c, '.' | ',' | ':' | '"' | '\'' | ')' | ']'))?;
    (last >= 1).then(|| scheme + run[last].0 + run[last].1.len_utf8())
}

const NONE: usize = usize::MAX;

/// Where each link text that starts at a position would end: Notify's link grammar lets the text
/// hold balanced `[…]` groups and a `]` that another `]` follows, so from any position there is a
/// single chain of brackets to follow, and the text ends at the last `](` on it that a `)` still
/// follows (the one the grammar's backtracking settles on). Computed once per run of inline text,
/// so that bracket-heavy text stays linear.
struct Brackets {
    /// The next `[` or `]` at or after each position.
    next: Vec<usize>,
    /// For each bracket, the end of the link text along its chain.
    best: Vec<usize>,
}

impl Brackets {
    fn new(src: &str) -> Self {
        let b = src.as_bytes();
        let n = b.len();
        let mut next = vec![NONE; n + 1];
        let mut close = vec![NONE; n + 1];
        for i in (0..n).rev() {
            next[i] = if matches!(b[i], b'[' | b']') { i } else { next[i + 1] };
            close[i] = if matches!(b[i], b']' | b'^') { i } else { close[i + 1] };
        }
        let last_paren = src.rfind(')');
        let mut best = vec![NONE; n + 1];
        for p in (0..n).rev() {
            let following = match b[p] {
                b'[' => match close[p + 1] {
                    q if q != NONE && b[q] == b']' => next[q + 1],
                    _ => NONE,
                },
                b']' => match next[p + 1] {
                    q if q != NONE && b[q] == b']' => q,
                    _ => NONE,
                },
                _ => continue,
            };
            let own = b[p] == b']' && b.get(p + 1) == Some(&b'(') && last_paren.is_some_and(|lp| p + 2 <= lp);
            let later = if following == NONE { NONE } else { best[following] };
            best[p] = if later != NONE {
                later
            } else if own {
                p
            } else {
                NONE
            };
        }
        Self { next, best }
    }

    fn end_of_text(&self, text_start: usize) -> Option<usize> {
        let first = *self.next.get(text_start)?;
        (first != NONE).then(|| self.best[first]).filter(|k| *k != NONE)
    }
}

/// `!?\[(inside)\]\(\s*(<)?([\s\S]*?)(?(2)>)(?:\s+['"]([\s\S]*?)['"])?\s*\)` at `at`.
fn link(src: &str, at: usize, brackets: &Brackets, depth: usize) -> Option<(Inline, usize)> {
    let image = src[at..].starts_with('!');
    let text_start = at + usize::from(image) + 1;
    let k = brackets.end_of_text(text_start)?;
    let (href, title, end) = link_destination(src, k + 2)?;
    let inline = if image {
        Inline::Image
    } else {
        Inline::Link { content: inline(&src[text_start..k], true, depth + 1), href, title }
    };
    Some((inline, end))
}

fn skip_ws(s: &str, from: usize) -> usize {
    from + s[from..].chars().take_while(|c| py_isspace(*c)).map(char::len_utf8).sum::<usize>()
}

fn link_destination(s: &str, start: usize) -> Option<(String, Option<String>, usize)> {
    let q = skip_ws(s, start);
    if s[q..].starts_with('<') {
        let mut from = q + 1;
        while let Some(gt) = s[from..].find('>') {
            let r = from + gt;
            if let Some((title, end)) = after_destination(s, r + 1) {
                return Some((s[q + 1..r].to_string(), title, end));
            }
            from = r + 1;
        }
    }
    let mut r = q;
    loop {
        if let Some((title, end)) = after_destination(s, r) {
            return Some((s[q..r].to_string(), title, end));
        }
        r += s[r..].chars().next()?.len_utf8();
    }
}

/// `(?:\s+['"]([\s\S]*?)['"])?\s*\)` at `at`.
fn after_destination(s: &str, at: usize) -> Option<(Option<String>, usize)> {
    let ws = skip_ws(s, at);
    if ws > at && s[ws..].starts_with(['\'', '"']) {
        let title_start = ws + 1;
        let mut from = title_start;
        while let Some(i) = s[from..].find(['\'', '"']) {
            let close = from + i;
            let after = skip_ws(s, close + 1);
            if s[after..].starts_with(')') {
                return Some((Some(s[title_start..close].to_string()), after + 1));
            }
            from = close + 1;
        }
    }
    s[ws..].starts_with(')').then_some((None, ws + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_links_urls_and_breaks() {
        assert_eq!(
            parse_inline("See [the site](https://example.com \"Title\") or https://x.org/a_(b). Done\nnext"),
            vec![
                Inline::Text("See ".into()),
                Inline::Link {
                    content: vec![Inline::Text("the site".into())],
                    href: "https://example.com".into(),
                    title: Some("Title".into())
                },
                Inline::Text(" or ".into()),
                Inline::AutoLink { link: "https://x.org/a_(b".into(), email: false },
                Inline::Text("). Done".into()),
                Inline::LineBreak,
                Inline::Text("next".into()),
            ]
        );
        assert_eq!(parse_inline("\\*not\\* ![img](x.png)"), vec![Inline::Text("*not* ".into()), Inline::Image]);
        assert_eq!(
            parse_inline("[a [b] c](u)"),
            vec![Inline::Link { content: vec![Inline::Text("a [b] c".into())], href: "u".into(), title: None }]
        );
        assert_eq!(
            parse_inline("[x](https://a.b)")[0],
            Inline::Link { content: vec![Inline::Text("x".into())], href: "https://a.b".into(), title: None }
        );
        assert_eq!(parse_inline("[no link] (x)"), vec![Inline::Text("[no link] (x)".into())]);
        assert_eq!(
            parse_inline("<mail@example.com>"),
            vec![Inline::AutoLink { link: "mail@example.com".into(), email: true }]
        );
        assert_eq!(parse_inline("end \n  "), vec![Inline::Text("end \n  ".into())]);
    }

    #[test]
    fn link_text_follows_the_bracket_chain() {
        let link = |text: &str, href: &str| Inline::Link {
            content: vec![Inline::Text(text.into())],
            href: href.into(),
            title: None,
        };
        assert_eq!(parse_inline("[a[a](x)"), vec![Inline::Text("[a".into()), link("a", "x")]);
        assert_eq!(parse_inline("[a]b](x)"), vec![link("a]b", "x")]);
        assert_eq!(parse_inline("[a](b)(c)"), vec![link("a", "b"), Inline::Text("(c)".into())]);
        assert_eq!(parse_inline("[a](x) [b](y"), vec![link("a", "x"), Inline::Text(" [b](y".into())]);
        let many = "[a".repeat(3000) + "](x)";
        assert_eq!(parse_inline(&many).len(), 2);
    }
}
