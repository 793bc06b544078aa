//! The blocks of Notify's markdown subset, parsed as Notify's patched markdown parser parses
//! them: `#`/`##` headings, bullets with `•`, `*` or `-`, numbered lists, inset text with `^`,
//! rules (`---`, `***`); inline content is in `inline`. The quirks are kept on purpose, because
//! they decide what a recipient sees: a paragraph is not interrupted by a `^` or `•` line, a list
//! swallows the lines that follow it until a blank line, `text` over `---` is a heading, and so on.

use super::text::py_isspace;

/// A block of a parsed document. Text is kept as source and parsed inline when rendered.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Block {
    /// Blank lines at the very start of a document (rendered as one line break).
    Newline,
    Paragraph(String),
    /// Loose text (inside list items, or past the nesting limit).
    Text(String),
    Heading {
        level: u8,
        text: String,
    },
    Rule,
    /// Indented or fenced text, which Notify passes through as it is.
    Code(String),
    Quote(Vec<Block>),
    List {
        ordered: bool,
        items: Vec<Item>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Item {
    /// Items separated by blank lines render their text as paragraphs.
    pub loose: bool,
    pub blocks: Vec<Block>,
}

const MAX_DEPTH: usize = 6;

#[derive(Clone, Copy, PartialEq)]
enum Rules {
    Top,
    ListItem,
}

struct Lexer {
    /// Text was HTML-escaped before parsing (a `>` line can then never interrupt a paragraph).
    html: bool,
    list_depth: usize,
    quote_depth: usize,
}

/// Parses a document. `html` tells whether the text was HTML-escaped beforehand.
pub(crate) fn parse(text: &str, html: bool) -> Vec<Block> {
    let mut lexer = Lexer { html, list_depth: 0, quote_depth: 0 };
    lexer.blocks(&preprocess(text), Rules::Top)
}

fn preprocess(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut expanded = String::with_capacity(text.len());
    let mut column = 0;
    for c in text.chars() {
        match c {
            '\t' => {
                let n = 4 - column % 4;
                expanded.extend(std::iter::repeat_n(' ', n));
                column += n;
            }
            '\n' => {
                expanded.push(c);
                column = 0;
            }
            _ => {
                expanded.push(c);
                column += 1;
            }
        }
    }
    let expanded = expanded.replace('\u{2424}', "\n");
    expanded
        .split('\n')
        .map(|line| if line.bytes().all(|b| b == b' ') { "" } else { line })
        .collect::<Vec<_>>()
        .join("\n")
}

fn line_end(s: &str, from: usize) -> usize {
    s[from..].find('\n').map_or(s.len(), |i| from + i)
}

fn skip_newlines(s: &str, from: usize) -> usize {
    from + s[from..].bytes().take_while(|b| *b == b'\n').count()
}

fn leading_spaces(s: &str) -> usize {
    s.bytes().take_while(|b| *b == b' ').count()
}

/// Length of a list bullet (`•`, `*`, `-` or digits and a dot) at the start of `s`.
fn bullet_len(s: &str) -> Option<usize> {
    if s.starts_with('•') {
        return Some('•'.len_utf8());
    }
    if s.starts_with(['*', '-']) {
        return Some(1);
    }
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0 && s.as_bytes().get(digits) == Some(&b'.')).then_some(digits + 1)
}

/// `^ {0,3}[-*_](?: *[-*_]){2,} *(?:\n+|$)`
fn hrule(s: &str) -> Option<usize> {
    let end = line_end(s, 0);
    let line = &s[..end];
    let indent = leading_spaces(line);
    if indent > 3 || !line[indent..].starts_with(['-', '*', '_']) {
        return None;
    }
    let marks = line[indent..].bytes().filter(|b| matches!(b, b'-' | b'*' | b'_')).count();
    let only_marks = line[indent..].bytes().all(|b| matches!(b, b'-' | b'*' | b'_' | b' '));
    (only_marks && marks >= 3).then(|| skip_newlines(s, end))
}

/// `^( {4}[^\n]+\n*)+`, returning the text without its indentation.
fn block_code(s: &str) -> Option<(String, usize)> {
    let mut end = 0;
    while s[end..].starts_with("    ") && s.as_bytes().get(end + 4).is_some_and(|b| *b != b'\n') {
        end = skip_newlines(s, line_end(s, end));
    }
    if end == 0 {
        return None;
    }
    let code = s[..end].split('\n').map(|l| l.strip_prefix("    ").unwrap_or(l)).collect::<Vec<_>>().join("\n");
    Some((code, end))
}

/// `^ *(`{3,}|~{3,}) *(\S+)? *\n([\s\S]+?)\s*\1 *(?:\n+|$)`
fn fences(s: &str) -> Option<(String, usize)> {
    let indent = leading_spaces(s);
    let mark = *s.as_bytes().get(indent)?;
    if mark != b'`' && mark != b'~' {
        return None;
    }
    let run = s[indent..].bytes().take_while(|b| *b == mark).count();
    for len in (3..=run).rev() {
        let fence = &s[indent..indent + len];
        let mut p = indent + len;
        p += leading_spaces(&s[p..]);
        p += s[p..].chars().take_while(|c| !py_isspace(*c)).map(char::len_utf8).sum::<usize>();
        p += leading_spaces(&s[p..]);
        if s.as_bytes().get(p) != Some(&b'\n') {
            continue;
        }
        let content_start = p + 1;
        let first_len = s[content_start..].chars().next().map_or(0, char::len_utf8);
        if first_len == 0 {
            continue;
        }
        let mut search = content_start;
        while let Some(found) = s[search..].find(fence) {
            let q = search + found;
            search = q + 1;
            let ws_start = s[..q].char_indices().rev().take_while(|(_, c)| py_isspace(*c)).last().map_or(q, |(i, _)| i);
            let content_end = ws_start.max(content_start + first_len);
            if content_end > q {
                continue;
            }
            let mut r = q + len;
            r += leading_spaces(&s[r..]);
            if r == s.len() || s.as_bytes()[r] == b'\n' {
                return Some((s[content_start..content_end].to_string(), skip_newlines(s, r)));
            }
        }
    }
    None
}

/// `^ *(#{1,6}) *([^\n]+?) *#* *(?:\n+|$)`
fn heading(s: &str) -> Option<(u8, String, usize)> {
    let end = line_end(s, 0);
    let line = &s[..end];
    let indent = leading_spaces(line);
    let hashes = line[indent..].bytes().take_while(|b| *b == b'#').count().min(6);
    if hashes == 0 {
        return None;
    }
    let rest = &line[indent + hashes..];
    if rest.is_empty() {
        return None;
    }
    let spaces = leading_spaces(rest);
    let text = if spaces == rest.len() {
        " ".to_string()
    } else {
        let body = &rest[spaces..];
        let trimmed = body.trim_end_matches(' ').trim_end_matches('#').trim_end_matches(' ');
        if trimmed.is_empty() {
            body[..body.chars().next().map_or(0, char::len_utf8)].to_string()
        } else {
            trimmed.to_string()
        }
    };
    Some((hashes as u8, text, skip_newlines(s, end)))
}

/// `^([^\n]+)\n *(=|-)+ *(?:\n+|$)`
fn lheading(s: &str) -> Option<(u8, String, usize)> {
    let first_end = line_end(s, 0);
    if first_end == 0 || first_end == s.len() {
        return None;
    }
    let second_end = line_end(s, first_end + 1);
    let underline = s[first_end + 1..second_end].trim_start_matches(' ').trim_end_matches(' ');
    if underline.is_empty() || !underline.bytes().all(|b| b == b'=' || b == b'-') {
        return None;
    }
    let level = if underline.ends_with('=') { 1 } else { 2 };
    Some((level, s[..first_end].to_string(), skip_newlines(s, second_end)))
}

fn quote_line(s: &str) -> bool {
    let indent = leading_spaces(s);
    s[indent..].starts_with('^') && s.as_bytes().get(indent + 1).is_some_and(|b| *b != b'\n')
}

/// `^( *\^[^\n]+(\n[^\n]+)*\n*)+`, returning the text without the `^` markers.
fn block_quote(s: &str) -> Option<(String, usize)> {
    let mut end = 0;
    while end < s.len() && quote_line(&s[end..]) {
        let mut p = line_end(s, end);
        while p + 1 < s.len() && s.as_bytes()[p + 1] != b'\n' {
            p = line_end(s, p + 1);
        }
        end = skip_newlines(s, p);
    }
    if end == 0 {
        return None;
    }
    let inner = s[..end]
        .split('\n')
        .map(|line| {
            let indent = leading_spaces(line);
            match line[indent..].strip_prefix('^') {
                Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some((inner, end))
}

/// The list parser's own end test for a rule line: `\1?(?:[-*_] *){3,}(?:\n+|$)`.
fn rule_after_list(s: &str, indent: &str) -> bool {
    let line = &s[..line_end(s, 0)];
    let line = line.strip_prefix(indent).filter(|l| l.starts_with(['-', '*', '_'])).unwrap_or(line);
    line.starts_with(['-', '*', '_'])
        && line.bytes().all(|b| matches!(b, b'-' | b'*' | b'_' | b' '))
        && line.bytes().filter(|b| *b != b' ').count() >= 3
}

/// The bullet of a list block and where the block ends.
fn list_block_end(s: &str) -> Option<(usize, usize, usize)> {
    let indent = leading_spaces(s);
    let bullet = bullet_len(&s[indent..])?;
    let body = indent + bullet;
    let first = s[body..].chars().next()?;
    let indent_str = &s[..indent];
    let text_end = s.trim_end_matches(py_isspace).len();
    let mut p = body + first.len_utf8();
    loop {
        if p >= text_end {
            return Some((indent, bullet, s.len()));
        }
        if s.as_bytes()[p] == b'\n' {
            let after = skip_newlines(s, p);
            let k = after - p;
            if rule_after_list(&s[after..], indent_str) {
                return Some((indent, bullet, after));
            }
            let next = &s[after..];
            let bullet_follows = next
                .strip_prefix(indent_str)
                .and_then(|n| bullet_len(n).map(|b| n.as_bytes().get(b) == Some(&b' ')))
                .unwrap_or(false);
            if k >= 3 || (k == 2 && !next.starts_with(' ') && !bullet_follows) {
                return Some((indent, bullet, after));
            }
        }
        p += s[p..].chars().next().map_or(1, char::len_utf8);
    }
}

/// Splits a list block into its items (each starting with its bullet line).
fn list_items(cap: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut start = 0;
    while start < cap.len() {
        let line = &cap[start..];
        let indent = leading_spaces(line);
        if bullet_len(&line[indent..]).is_none() {
            start = match line.find('\n') {
                Some(i) => start + i + 1,
                None => cap.len(),
            };
            continue;
        }
        let indent_str = &line[..indent];
        let mut end = line_end(cap, start);
        while end < cap.len() {
            let next = &cap[end + 1..];
            if next.strip_prefix(indent_str).is_some_and(|n| bullet_len(n).is_some()) {
                break;
            }
            end = line_end(cap, end + 1);
        }
        items.push(&cap[start..end]);
        start = end + 1;
    }
    items
}

/// `^( *)(?=[*+-]|\d+\.)(([*+-])?(?:\d+\.)?) [\s\S]+?`: the stock list start that interrupts a
/// paragraph (the stock one, not Notify's: it needs a space and knows `+` but not `•`).
fn stock_list_start(s: &str) -> bool {
    let p = leading_spaces(s);
    let b = s.as_bytes();
    let digits_dot = |at: usize| {
        let n = b[at.min(b.len())..].iter().take_while(|c| c.is_ascii_digit()).count();
        (n > 0 && b.get(at + n) == Some(&b'.')).then_some(at + n + 1)
    };
    let space_then_text = |at: usize| b.get(at) == Some(&b' ') && at + 1 < b.len();
    let mut ends = Vec::new();
    if matches!(b.get(p), Some(b'*' | b'+' | b'-')) {
        if let Some(e) = digits_dot(p + 1) {
            ends.push(e);
        }
        ends.push(p + 1);
    }
    if let Some(e) = digits_dot(p) {
        ends.push(e);
    }
    ends.into_iter().any(space_then_text)
}

impl Lexer {
    fn blocks(&mut self, text: &str, rules: Rules) -> Vec<Block> {
        let text = text.trim_end_matches('\n');
        let mut tokens = Vec::new();
        let mut pos = 0;
        while pos < text.len() {
            let s = &text[pos..];
            let (token, used) = self.next_block(s, rules);
            if let Some(token) = token {
                match (tokens.last_mut(), token) {
                    (Some(Block::Text(previous)), Block::Text(more)) => {
                        previous.push('\n');
                        previous.push_str(&more);
                    }
                    (_, token) => tokens.push(token),
                }
            }
            pos += used.max(1);
        }
        tokens
    }

    fn next_block(&mut self, s: &str, rules: Rules) -> (Option<Block>, usize) {
        let newlines = skip_newlines(s, 0);
        if newlines > 0 {
            return ((newlines > 1).then_some(Block::Newline), newlines);
        }
        if rules == Rules::Top
            && let Some(used) = hrule(s)
        {
            return (Some(Block::Rule), used);
        }
        if let Some((code, used)) = block_code(s).or_else(|| fences(s)) {
            return (Some(Block::Code(code)), used);
        }
        if rules == Rules::Top
            && let Some((level, text, used)) = heading(s)
        {
            return (Some(Block::Heading { level, text }), used);
        }
        if let Some((level, text, used)) = lheading(s) {
            return (Some(Block::Heading { level, text }), used);
        }
        if rules == Rules::ListItem
            && let Some(used) = hrule(s)
        {
            return (Some(Block::Rule), used);
        }
        if let Some((inner, used)) = block_quote(s) {
            self.quote_depth += 1;
            let block = if self.quote_depth > MAX_DEPTH {
                Block::Text(s[..used].to_string())
            } else {
                Block::Quote(self.blocks(&inner, Rules::Top))
            };
            self.quote_depth -= 1;
            return (Some(block), used);
        }
        if let Some((indent, bullet, used)) = list_block_end(s) {
            return (Some(self.list(&s[..used], &s[indent..indent + bullet])), used);
        }
        if rules == Rules::ListItem {
            let end = line_end(s, 0);
            return (Some(Block::Text(s[..end].to_string())), end);
        }
        let (text, used) = self.paragraph(s);
        (Some(Block::Paragraph(text)), used)
    }

    fn list(&mut self, cap: &str, bullet: &str) -> Block {
        let ordered = bullet.contains('.');
        self.list_depth += 1;
        let items = if self.list_depth > MAX_DEPTH {
            vec![Item { loose: false, blocks: vec![Block::Text(cap.to_string())] }]
        } else {
            let raw = list_items(cap);
            let count = raw.len();
            let mut next_loose = false;
            let mut items = Vec::with_capacity(count);
            for (i, item) in raw.into_iter().enumerate() {
                let indent = leading_spaces(item);
                let bullet = bullet_len(&item[indent..]).unwrap_or(0);
                let mut body = item[indent + bullet..].to_string();
                if body.contains("\n ") {
                    let space = indent + item[indent..indent + bullet].chars().count();
                    body = body.split('\n').map(|l| &l[leading_spaces(l).min(space)..]).collect::<Vec<_>>().join("\n");
                }
                let mut loose = next_loose;
                if !loose && has_inner_blank_line(&body) {
                    loose = true;
                }
                if i != count - 1 && !body.is_empty() {
                    next_loose = body.ends_with('\n');
                    loose = loose || next_loose;
                }
                items.push(Item { loose, blocks: self.blocks(&body, Rules::ListItem) });
            }
            items
        };
        self.list_depth -= 1;
        Block::List { ordered, items }
    }

    fn paragraph(&self, s: &str) -> (String, usize) {
        let mut end = line_end(s, 0);
        while end < s.len() {
            let next = &s[end + 1..];
            if next.is_empty() || next.starts_with('\n') || self.interrupts(next) {
                break;
            }
            end = line_end(s, end + 1);
        }
        (s[..end].to_string(), skip_newlines(s, end))
    }

    /// Block starts that end a paragraph (the stock grammar's list, not the lexer's rules).
    fn interrupts(&self, s: &str) -> bool {
        let quote = || {
            let indent = leading_spaces(s);
            s[indent..].starts_with('>') && s.as_bytes().get(indent + 1).is_some_and(|b| *b != b'\n')
        };
        fences(s).is_some()
            || stock_list_start(s)
            || hrule(s).is_some()
            || heading(s).is_some()
            || lheading(s).is_some()
            || (!self.html && quote())
    }
}

/// `\n\n(?!\s*$)`: a blank line with more text after it.
fn has_inner_blank_line(s: &str) -> bool {
    let text_end = s.trim_end_matches(py_isspace).len();
    s.find("\n\n").is_some_and(|at| at + 2 < text_end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Block {
        Block::Paragraph(s.into())
    }

    fn t(s: &str) -> Block {
        Block::Text(s.into())
    }

    fn item(loose: bool, blocks: Vec<Block>) -> Item {
        Item { loose, blocks }
    }

    #[test]
    fn headings_paragraphs_and_rules() {
        assert_eq!(
            parse("# Title\nPara one\nline two\n\n## Sub ##\n---\n###### six", true),
            vec![
                Block::Heading { level: 1, text: "Title".into() },
                p("Para one\nline two"),
                Block::Heading { level: 2, text: "Sub".into() },
                Block::Rule,
                Block::Heading { level: 6, text: "six".into() },
            ]
        );
        assert_eq!(parse("#NoSpace", true), vec![Block::Heading { level: 1, text: "NoSpace".into() }]);
        assert_eq!(
            parse("Title\n---\nText\n===", true),
            vec![Block::Heading { level: 2, text: "Title".into() }, Block::Heading { level: 1, text: "Text".into() }]
        );
        assert_eq!(parse("* * *\n\n___", true), vec![Block::Rule, Block::Rule]);
    }

    #[test]
    fn leading_blank_lines_make_one_newline() {
        assert_eq!(parse("\n\nHello", true), vec![Block::Newline, p("Hello")]);
        assert_eq!(parse("\nHello\n\n\n", true), vec![p("Hello")]);
    }

    #[test]
    fn lists() {
        assert_eq!(
            parse("* one\n* two\n\nafter", true),
            vec![
                Block::List { ordered: false, items: vec![item(false, vec![t(" one")]), item(false, vec![t(" two")])] },
                p("after")
            ]
        );
        assert_eq!(
            parse("1. one\n2. two", true),
            vec![Block::List {
                ordered: true,
                items: vec![item(false, vec![t(" one")]), item(false, vec![t(" two")])]
            }]
        );
        // Bullets need no space; any of •, * and - start a list.
        assert_eq!(
            parse("•a\n-b", true),
            vec![Block::List { ordered: false, items: vec![item(false, vec![t("a")]), item(false, vec![t("b")])] }]
        );
        // Lines after a list belong to its last item until a blank line.
        assert_eq!(
            parse("- a\nnot a bullet", true),
            vec![Block::List { ordered: false, items: vec![item(false, vec![t(" a\nnot a bullet")])] }]
        );
        // Items separated by blank lines are loose.
        assert_eq!(
            parse("* a\n\n* b", true),
            vec![Block::List { ordered: false, items: vec![item(true, vec![t(" a")]), item(true, vec![t(" b")])] }]
        );
        // Two blank lines end a list even when a bullet follows.
        assert_eq!(parse("* a\n\n\n* b", true).len(), 2);
        // Nested list.
        assert_eq!(
            parse("* a\n  * b\n* c", true),
            vec![Block::List {
                ordered: false,
                items: vec![
                    item(false, vec![t("a"), Block::List { ordered: false, items: vec![item(false, vec![t(" b")])] }]),
                    item(false, vec![t(" c")]),
                ]
            }]
        );
    }

    #[test]
    fn paragraphs_are_interrupted_by_the_stock_grammar_only() {
        assert_eq!(parse("Text\n• not a list\n^ not inset", true), vec![p("Text\n• not a list\n^ not inset")]);
        assert_eq!(
            parse("Text\n* a list", true),
            vec![p("Text"), Block::List { ordered: false, items: vec![item(false, vec![t(" a list")])] }]
        );
        assert_eq!(parse("Text\n+ plus", true), vec![p("Text"), p("+ plus")]);
        assert_eq!(parse("Text\n&gt; quote", true), vec![p("Text\n&gt; quote")]);
        assert_eq!(parse("Text\n> quote", false), vec![p("Text"), p("> quote")]);
    }

    #[test]
    fn inset_text_and_code() {
        assert_eq!(
            parse("^ Inset\ncontinues\n\n^ more", true),
            vec![Block::Quote(vec![p("Inset\ncontinues"), p("more")])]
        );
        assert_eq!(parse("    indented\n    code", true), vec![Block::Code("indented\ncode".into())]);
        assert_eq!(parse("```\nfenced\n```\nafter", true), vec![Block::Code("fenced".into()), p("after")]);
        let deep = "^ ".repeat(20) + "deep";
        assert_eq!(parse(&deep, true).len(), 1);
    }
}
