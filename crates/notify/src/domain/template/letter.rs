//! Letters: the recipient's postal address (Notify's rules for which lines are needed), the
//! date, the contact block, the subject and the body, composed from a template and
//! personalisation into a document that the PDF writer lays out.

use serde::{Deserialize, Serialize};
use time::Date;

use super::entities::unescape;
use super::inline::{Inline, parse_inline};
use super::markdown::{Block, parse};
use super::placeholder::{FieldMode, Values, fill, placeholders_of, py_str};
use super::text::{normalise_whitespace, py_splitlines, py_strip, remove_whitespace_before_punctuation};
use super::typography::Typographer;
use super::{Personalisation, RenderError};

/// A letter to render.
#[derive(Clone, Copy, Debug)]
pub struct Letter<'a> {
    pub subject: &'a str,
    pub content: &'a str,
    /// Holds the address (`address_line_1` … `address_line_7`, or `postcode` instead of the
    /// last) as well as the template's placeholders.
    pub personalisation: &'a Personalisation,
    /// The sender's contact block, printed top right.
    pub contact_block: Option<&'a str>,
    pub date: Date,
    pub language: LetterLanguage,
}

/// The language of the date line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LetterLanguage {
    #[default]
    English,
    Welsh,
    French,
}

/// Why an address cannot be posted; the messages are Notify's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Address must be at least 3 lines")]
    TooFewLines,
    #[error("Address must be no more than 7 lines")]
    TooManyLines,
    #[error("Address lines must not start with any of the following characters: @ ( ) = [ ] \u{201d} \\ / , < >")]
    InvalidCharacters,
    #[error("Must be a real address")]
    NoFixedAbode,
}

const MIN_LINES: usize = 3;
const MAX_LINES: usize = 7;
const INVALID_FIRST_CHARACTERS: &str = "@()=[]\"\\/,<>~";

/// The normalised lines of the recipient's address, checked as Notify checks them: lines
/// `address_line_1` to `address_line_6` then `address_line_7` (or `postcode` when there is no
/// line 7), blank lines dropped, whitespace tidied, trailing commas removed; 3 to 7 lines; no line
/// starting with a character Royal Mail's machines reject; no "no fixed abode".
///
/// Country- and postcode-specific checks are left to the caller.
pub fn postal_address(p: &Personalisation) -> Result<Vec<String>, AddressError> {
    let values = Values::new(p);
    let last = if values.get("address_line_7").is_some() { "address_line_7" } else { "postcode" };
    let keys = [
        "address_line_1",
        "address_line_2",
        "address_line_3",
        "address_line_4",
        "address_line_5",
        "address_line_6",
        last,
    ];
    let raw = keys
        .iter()
        .map(|k| match values.get(k) {
            Some(serde_json::Value::Bool(false)) | None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) if n.as_f64() == Some(0.0) => String::new(),
            Some(serde_json::Value::Array(a)) if a.is_empty() => String::new(),
            Some(v) => py_str(v),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let lines: Vec<String> = py_splitlines(&raw)
        .into_iter()
        .map(normalise_whitespace)
        .map(|l| l.trim_end_matches([' ', ',']).to_string())
        .filter(|l| !l.is_empty())
        .map(|l| remove_whitespace_before_punctuation(&l))
        .collect();
    if lines.len() < MIN_LINES {
        return Err(AddressError::TooFewLines);
    }
    if lines.len() > MAX_LINES {
        return Err(AddressError::TooManyLines);
    }
    if lines.iter().any(|l| l.starts_with(|c| INVALID_FIRST_CHARACTERS.contains(c))) {
        return Err(AddressError::InvalidCharacters);
    }
    let joined = lines.join("\n").to_lowercase();
    if lines.iter().any(|l| l.eq_ignore_ascii_case("nfa"))
        || joined.contains("no fixed abode")
        || joined.contains("no fixed address")
    {
        return Err(AddressError::NoFixedAbode);
    }
    Ok(lines)
}

const ENGLISH_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WELSH_MONTHS: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];
const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// The date line: `5 March 2025` as Notify prints it (Welsh months for Welsh letters);
/// French letters read `1er mars 2025`, `5 mars 2025`.
pub(crate) fn format_date(date: Date, language: LetterLanguage) -> String {
    let month = usize::from(u8::from(date.month())) - 1;
    match language {
        LetterLanguage::English => format!("{} {} {}", date.day(), ENGLISH_MONTHS[month], date.year()),
        LetterLanguage::Welsh => format!("{} {} {}", date.day(), WELSH_MONTHS[month], date.year()),
        LetterLanguage::French => {
            let day = if date.day() == 1 { "1er".to_string() } else { date.day().to_string() };
            format!("{day} {} {}", FRENCH_MONTHS[month], date.year())
        }
    }
}

/// A run of text in a letter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Piece {
    Text(String),
    Bold(String),
    Break,
}

/// A block of a letter's body.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LetterBlock {
    Heading(Vec<Piece>),
    /// A paragraph (space after it).
    Paragraph(Vec<Piece>),
    /// Text of a tight list item (no space after it).
    Line(Vec<Piece>),
    List {
        ordered: bool,
        items: Vec<Vec<LetterBlock>>,
    },
    PageBreak,
}

/// A letter ready to lay out: all text final (personalised, typography applied, decoded).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LetterDocument {
    pub address: Vec<String>,
    pub contact: Vec<String>,
    pub date: String,
    pub subject: String,
    pub body: Vec<LetterBlock>,
}

fn push_text(pieces: &mut Vec<Piece>, text: &str) {
    if let Some(Piece::Text(t)) = pieces.last_mut() {
        t.push_str(text);
    } else if !text.is_empty() {
        pieces.push(Piece::Text(text.to_string()));
    }
}

fn flatten(items: &[Inline]) -> String {
    items
        .iter()
        .map(|i| match i {
            Inline::Text(t) => t.clone(),
            Inline::LineBreak => "\n".into(),
            Inline::AutoLink { link, .. } => link.clone(),
            Inline::Link { content, href, .. } => format!("[{}]({href})", flatten(content)),
            Inline::Image => String::new(),
        })
        .collect()
}

/// Inline content as Notify's letter renderer shows it: bare links in bold without their
/// `http(s)://`, written links kept as `[text](url)`.
fn pieces(src: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    for item in parse_inline(src) {
        match item {
            Inline::Text(t) => push_text(&mut out, &t),
            Inline::LineBreak => out.push(Piece::Break),
            Inline::Image => {}
            Inline::AutoLink { link, .. } => {
                let shown = link.strip_prefix("https://").or_else(|| link.strip_prefix("http://")).unwrap_or(&link);
                out.push(Piece::Bold(shown.to_string()));
            }
            Inline::Link { content, href, title } => {
                let title = title.map(|t| format!(" \"{t}\"")).unwrap_or_default();
                push_text(&mut out, &format!("[{}]({href}{title})", flatten(&content)));
            }
        }
    }
    out
}

fn is_blank(pieces: &[Piece]) -> bool {
    pieces.iter().all(|p| match p {
        Piece::Text(t) | Piece::Bold(t) => py_strip(t).is_empty(),
        Piece::Break => true,
    })
}

fn convert(blocks: &[Block], tight_text: bool, out: &mut Vec<LetterBlock>) {
    for block in blocks {
        match block {
            Block::Newline => {}
            Block::Paragraph(src) | Block::Text(src) => {
                let p = pieces(src);
                if !is_blank(&p) {
                    out.push(if tight_text && matches!(block, Block::Text(_)) {
                        LetterBlock::Line(p)
                    } else {
                        LetterBlock::Paragraph(p)
                    });
                }
            }
            Block::Heading { level: 1, text } => out.push(LetterBlock::Heading(pieces(text))),
            Block::Heading { text, .. } => {
                let p = pieces(text);
                if !is_blank(&p) {
                    out.push(LetterBlock::Paragraph(p));
                }
            }
            Block::Rule => out.push(LetterBlock::PageBreak),
            Block::Code(code) => {
                let mut p = Vec::new();
                for (i, line) in code.trim_end_matches('\n').split('\n').enumerate() {
                    if i > 0 {
                        p.push(Piece::Break);
                    }
                    push_text(&mut p, line);
                }
                out.push(LetterBlock::Paragraph(p));
            }
            Block::Quote(children) => convert(children, false, out),
            Block::List { ordered, items } => {
                let items = items
                    .iter()
                    .map(|item| {
                        let mut blocks = Vec::new();
                        convert(&item.blocks, !item.loose, &mut blocks);
                        blocks
                    })
                    .collect();
                out.push(LetterBlock::List { ordered: *ordered, items });
            }
        }
    }
}

/// Applies typography run by run, in reading order, then decodes the HTML-escaped text.
fn finish(blocks: &mut [LetterBlock], t: &mut Typographer) {
    for block in blocks {
        match block {
            LetterBlock::Heading(p) | LetterBlock::Paragraph(p) | LetterBlock::Line(p) => {
                for piece in p.iter_mut() {
                    if let Piece::Text(s) | Piece::Bold(s) = piece {
                        *s = unescape(&t.run(s));
                    }
                }
            }
            LetterBlock::List { items, .. } => items.iter_mut().for_each(|i| finish(i, t)),
            LetterBlock::PageBreak => {}
        }
    }
}

/// Personalises a letter and checks it as Notify does before printing.
pub(crate) fn compose(letter: &Letter<'_>) -> Result<LetterDocument, RenderError> {
    let values = Values::new(letter.personalisation);
    let contact_block = py_strip(letter.contact_block.unwrap_or_default());
    let missing = values.missing(&placeholders_of(&[contact_block, letter.subject, letter.content]));
    if !missing.is_empty() {
        return Err(RenderError::MissingPersonalisation(missing));
    }
    let escaped = FieldMode { escape: true, markdown_lists: false, markup: true };
    let filled = fill(letter.content, &values, FieldMode { markdown_lists: true, ..escaped });
    if letter.content.is_empty()
        || (letter.content.starts_with("((")
            && letter.content.ends_with("))")
            && py_strip(&unescape(&filled)).is_empty())
    {
        return Err(RenderError::Empty);
    }
    let address = postal_address(letter.personalisation)?;
    let contact_source = contact_block.split('\n').map(py_strip).collect::<Vec<_>>().join("\n");
    let contact = remove_whitespace_before_punctuation(&fill(&contact_source, &values, escaped));
    let contact = contact.split('\n').map(unescape).collect();
    let subject = unescape(&super::subject_text(letter.subject, &values, true));
    let mut body = Vec::new();
    convert(&parse(&format!("{filled}\n"), true), false, &mut body);
    finish(&mut body, &mut Typographer::new());
    Ok(LetterDocument { address, contact, date: format_date(letter.date, letter.language), subject, body })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    fn map(v: serde_json::Value) -> Personalisation {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn address_lines_follow_notify_rules() {
        let p = map(json!({
            "address_line_1": "  Ada  Lovelace ,",
            "Address Line 2": "",
            "address_line_3": "1 High Street",
            "address_line_4": null,
            "postcode": "ab1 2cd"
        }));
        assert_eq!(postal_address(&p), Ok(vec!["Ada Lovelace".into(), "1 High Street".into(), "ab1 2cd".into()]));
        // address_line_7 takes the place of the postcode.
        let p =
            map(json!({"address_line_1": "A", "address_line_2": "B", "address_line_7": "C", "postcode": "ignored"}));
        assert_eq!(postal_address(&p), Ok(vec!["A".into(), "B".into(), "C".into()]));
        // A value with newlines gives several lines.
        let p = map(json!({"address_line_1": "A\nB", "postcode": "C"}));
        assert_eq!(postal_address(&p).map(|l| l.len()), Ok(3));
    }

    #[test]
    fn address_errors() {
        assert_eq!(
            postal_address(&map(json!({"address_line_1": "A", "postcode": "B"}))),
            Err(AddressError::TooFewLines)
        );
        let eight =
            map(json!({"address_line_1": "1\n2", "address_line_2": "3", "address_line_3": "4", "address_line_4": "5",
            "address_line_5": "6", "address_line_6": "7", "address_line_7": "8"}));
        assert_eq!(postal_address(&eight), Err(AddressError::TooManyLines));
        let bad = map(json!({"address_line_1": "A", "address_line_2": "(B)", "postcode": "C"}));
        assert_eq!(postal_address(&bad), Err(AddressError::InvalidCharacters));
        let nfa = map(json!({"address_line_1": "A", "address_line_2": "No Fixed Abode", "postcode": "C"}));
        assert_eq!(postal_address(&nfa), Err(AddressError::NoFixedAbode));
        assert_eq!(
            AddressError::InvalidCharacters.to_string(),
            "Address lines must not start with any of the following characters: @ ( ) = [ ] \u{201d} \\ / , < >"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(format_date(date!(2025 - 03 - 05), LetterLanguage::English), "5 March 2025");
        assert_eq!(format_date(date!(2025 - 12 - 25), LetterLanguage::Welsh), "25 Rhagfyr 2025");
        assert_eq!(format_date(date!(2025 - 08 - 01), LetterLanguage::French), "1er août 2025");
    }

    #[test]
    fn composes_a_letter() {
        let p = map(
            json!({"address_line_1": "Ada", "address_line_2": "1 Rue", "postcode": "75001 Paris", "name": "Ada & co",
            "ref": "X1"}),
        );
        let letter = Letter {
            subject: "Your 'claim' ((ref))",
            content: "# About ((name))\nIt's here - see https://example.org/x.\n\n* one\n* two\n\n---\n\nPage 2",
            personalisation: &p,
            contact_block: Some("  Office\n ((ref)) \n"),
            date: date!(2025 - 01 - 02),
            language: LetterLanguage::English,
        };
        let doc = compose(&letter).expect("the letter composes");
        assert_eq!(doc.subject, "Your \u{2018}claim\u{2019} X1");
        assert_eq!(doc.contact, vec!["Office", "X1"]);
        assert_eq!(doc.date, "2 January 2025");
        assert_eq!(
            doc.body,
            vec![
                LetterBlock::Heading(vec![Piece::Text("About Ada & co".into())]),
                LetterBlock::Paragraph(vec![
                    Piece::Text("It\u{2019}s here \u{2013} see ".into()),
                    Piece::Bold("example.org/x".into()),
                    Piece::Text(".".into())
                ]),
                LetterBlock::List {
                    ordered: false,
                    items: vec![
                        vec![LetterBlock::Line(vec![Piece::Text(" one".into())])],
                        vec![LetterBlock::Line(vec![Piece::Text(" two".into())])]
                    ]
                },
                LetterBlock::PageBreak,
                LetterBlock::Paragraph(vec![Piece::Text("Page 2".into())]),
            ]
        );
    }

    #[test]
    fn letter_checks_come_in_notify_order() {
        let p = map(json!({}));
        let letter = Letter {
            subject: "((b))",
            content: "((c))",
            personalisation: &p,
            contact_block: Some("((a))"),
            date: date!(2025 - 01 - 02),
            language: LetterLanguage::English,
        };
        assert_eq!(
            compose(&letter),
            Err(RenderError::MissingPersonalisation(vec!["a".into(), "b".into(), "c".into()]))
        );
        let p = map(json!({"c": "", "address_line_1": "A"}));
        let letter = Letter { subject: "S", contact_block: None, personalisation: &p, ..letter };
        assert_eq!(compose(&letter), Err(RenderError::Empty));
        let letter = Letter { content: "Hi", ..letter };
        assert_eq!(compose(&letter), Err(RenderError::Address(AddressError::TooFewLines)));
    }
}
