//! Letters as PDF: A4, laid out like Notify's letters (the recipient's address where a DL window
//! envelope shows it, the contact block top right, the date, the subject as heading, the body),
//! wrapped to the text column, continued over as many pages as needed with "Page n of m" at the
//! foot of each, in the built-in Helvetica (WinAnsi, so accented Latin letters print).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::RenderError;
use super::letter::{Letter, LetterBlock, LetterDocument, LetterLanguage, Piece, compose};
use super::metrics::{encode, width};
use super::text::py_isspace;

const MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = 210.0 * MM;
const PAGE_HEIGHT: f32 = 297.0 * MM;
const LEFT: f32 = 15.0 * MM;
const COLUMN: f32 = 137.5 * MM;
const FIRST_PAGE_TOP: f32 = 104.0 * MM;
const PAGE_TOP: f32 = 15.0 * MM;
const PAGE_BOTTOM: f32 = 282.0 * MM;

const BODY: (f32, f32) = (12.5, 16.0);
const SUBJECT: (f32, f32) = (20.0, 23.4);
const HEADING: (f32, f32) = (14.0, 17.4);
const GAP: f32 = 16.0;
const SUBJECT_BEFORE: f32 = 18.16;
const SUBJECT_AFTER: f32 = 7.68;
const BULLET_INDENT: f32 = 12.0;
const NUMBER_INDENT: f32 = 20.0;

/// The address sits in the area a DL window envelope shows: 24.6 mm from the left edge,
/// 39.5 mm from the top, 26.8 mm high.
const ADDRESS_LEFT: f32 = 24.6 * MM;
const ADDRESS_TOP: f32 = 39.5 * MM;
const ADDRESS_WIDTH: f32 = 85.0 * MM;
const ADDRESS_SIZE: f32 = 10.0;
const ADDRESS_MIN_SIZE: f32 = 7.0;

const CONTACT_LEFT: f32 = 128.8 * MM;
const CONTACT_WIDTH: f32 = 71.2 * MM;
const CONTACT_BOTTOM: f32 = 82.2 * MM;
const CONTACT: (f32, f32) = (10.0, 12.0);

const FOOTER_RIGHT: f32 = 200.0 * MM;
const FOOTER_BASELINE: f32 = 287.0 * MM;
const FOOTER_SIZE: f32 = 10.0;

/// Text drawn at a position (`baseline` measured from the top of the page).
struct Op {
    x: f32,
    baseline: f32,
    size: f32,
    bold: bool,
    bytes: Vec<u8>,
}

#[derive(Default)]
struct Line {
    runs: Vec<(Vec<u8>, bool)>,
    width: f32,
}

enum Token {
    Word(Vec<(Vec<u8>, bool)>),
    Space(bool),
    Break,
}

fn tokens(pieces: &[Piece], bold_all: bool) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word: Vec<(String, bool)> = Vec::new();
    let flush = |word: &mut Vec<(String, bool)>, out: &mut Vec<Token>| {
        if !word.is_empty() {
            let runs = word.drain(..).map(|(s, b)| (encode(&s), b)).filter(|(s, _)| !s.is_empty()).collect::<Vec<_>>();
            if !runs.is_empty() {
                out.push(Token::Word(runs));
            }
        }
    };
    for piece in pieces {
        let (text, bold) = match piece {
            Piece::Break => {
                flush(&mut word, &mut out);
                out.push(Token::Break);
                continue;
            }
            Piece::Text(t) => (t, bold_all),
            Piece::Bold(t) => (t, true),
        };
        for c in text.chars() {
            if c != '\u{a0}' && (py_isspace(c) || c == '\n') {
                flush(&mut word, &mut out);
                if !matches!(out.last(), Some(Token::Space(_))) {
                    out.push(Token::Space(bold));
                }
                continue;
            }
            match word.last_mut() {
                Some((s, b)) if *b == bold => s.push(c),
                _ => word.push((c.to_string(), bold)),
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

fn runs_width(runs: &[(Vec<u8>, bool)], size: f32) -> f32 {
    runs.iter().map(|(b, bold)| width(b, *bold, size)).sum()
}

/// Breaks a word wider than the column into pieces that fit.
fn split_word(runs: Vec<(Vec<u8>, bool)>, size: f32, max: f32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line = Line::default();
    for (bytes, bold) in runs {
        for byte in bytes {
            let w = width(&[byte], bold, size);
            if !line.runs.is_empty() && line.width + w > max {
                lines.push(std::mem::take(&mut line));
            }
            match line.runs.last_mut() {
                Some((b, is_bold)) if *is_bold == bold => b.push(byte),
                _ => line.runs.push((vec![byte], bold)),
            }
            line.width += w;
        }
    }
    if !line.runs.is_empty() {
        lines.push(line);
    }
    lines
}

fn push_run(line: &mut Line, bytes: Vec<u8>, bold: bool) {
    match line.runs.last_mut() {
        Some((b, is_bold)) if *is_bold == bold => b.extend(bytes),
        _ => line.runs.push((bytes, bold)),
    }
}

/// Wraps text to `max` points at `size`, breaking at spaces (and inside words only when a word
/// alone is too wide).
fn wrap(pieces: &[Piece], size: f32, max: f32, bold_all: bool) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line = Line::default();
    let mut space: Option<bool> = None;
    for token in tokens(pieces, bold_all) {
        match token {
            Token::Space(bold) => space = Some(bold),
            Token::Break => {
                lines.push(std::mem::take(&mut line));
                space = None;
            }
            Token::Word(runs) => {
                let w = runs_width(&runs, size);
                let space_width = match space {
                    Some(bold) if !line.runs.is_empty() => width(b" ", bold, size),
                    _ => 0.0,
                };
                if !line.runs.is_empty() && line.width + space_width + w > max {
                    lines.push(std::mem::take(&mut line));
                }
                if line.runs.is_empty() && w > max {
                    let mut parts = split_word(runs, size, max);
                    line = parts.pop().unwrap_or_default();
                    lines.extend(parts);
                } else {
                    if let Some(bold) = space.filter(|_| !line.runs.is_empty()) {
                        push_run(&mut line, b" ".to_vec(), bold);
                        line.width += space_width;
                    }
                    line.width += w;
                    for (bytes, bold) in runs {
                        push_run(&mut line, bytes, bold);
                    }
                }
                space = None;
            }
        }
    }
    if !line.runs.is_empty() {
        lines.push(line);
    }
    lines
}

fn baseline_offset(size: f32, leading: f32) -> f32 {
    (leading - size * (0.718 + 0.207)) / 2.0 + size * 0.718
}

struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
    /// Space owed before the next line (margins collapse, as in the HTML letters).
    gap: f32,
}

impl Layout {
    fn page_top(&self) -> f32 {
        if self.pages.len() == 1 { FIRST_PAGE_TOP } else { PAGE_TOP }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_TOP;
        self.gap = 0.0;
    }

    fn current(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn draw(&mut self, x: f32, baseline: f32, size: f32, line: &Line) {
        let mut x = x;
        for (bytes, bold) in &line.runs {
            let w = width(bytes, *bold, size);
            self.current().push(Op { x, baseline, size, bold: *bold, bytes: bytes.clone() });
            x += w;
        }
    }

    /// Makes room for a line of `leading`, moving to a new page when it would not fit.
    fn room(&mut self, leading: f32) {
        if self.y > self.page_top() + 0.01 {
            self.y += self.gap;
        }
        self.gap = 0.0;
        if self.y + leading > PAGE_BOTTOM && self.y > self.page_top() + 0.01 {
            self.new_page();
        }
    }

    fn lines(&mut self, x: f32, (size, leading): (f32, f32), lines: &[Line]) {
        for line in lines {
            self.room(leading);
            let baseline = self.y + baseline_offset(size, leading);
            self.draw(x, baseline, size, line);
            self.y += leading;
        }
    }

    fn blocks(&mut self, blocks: &[LetterBlock], x: f32, column: f32) {
        for block in blocks {
            match block {
                LetterBlock::Heading(p) => {
                    self.lines(x, HEADING, &wrap(p, HEADING.0, column, true));
                    self.gap = self.gap.max(GAP);
                }
                LetterBlock::Paragraph(p) => {
                    self.lines(x, BODY, &wrap(p, BODY.0, column, false));
                    self.gap = self.gap.max(GAP);
                }
                LetterBlock::Line(p) => self.lines(x, BODY, &wrap(p, BODY.0, column, false)),
                LetterBlock::List { ordered, items } => {
                    let indent = if *ordered { NUMBER_INDENT } else { BULLET_INDENT };
                    for (i, item) in items.iter().enumerate() {
                        self.room(BODY.1);
                        let marker = if *ordered { format!("{}.", i + 1) } else { "\u{2022}".to_string() };
                        let bytes = encode(&marker);
                        let marker_x = if *ordered { x + indent - 4.0 - width(&bytes, false, BODY.0) } else { x + 1.0 };
                        let baseline = self.y + baseline_offset(BODY.0, BODY.1);
                        self.current().push(Op { x: marker_x, baseline, size: BODY.0, bold: false, bytes });
                        if item.is_empty() {
                            self.y += BODY.1;
                        }
                        self.blocks(item, x + indent, column - indent);
                    }
                    self.gap = self.gap.max(GAP);
                }
                LetterBlock::PageBreak => self.new_page(),
            }
        }
    }
}

fn footer(page: usize, count: usize, language: LetterLanguage) -> String {
    match language {
        LetterLanguage::English => format!("Page {page} of {count}"),
        LetterLanguage::Welsh => format!("Tudalen {page} o {count}"),
        LetterLanguage::French => format!("Page {page} sur {count}"),
    }
}

fn layout(doc: &LetterDocument) -> Vec<Vec<Op>> {
    let mut l = Layout { pages: vec![Vec::new()], y: FIRST_PAGE_TOP, gap: 0.0 };

    // Address: shrunk (down to 7 pt) when a line would not fit the window.
    let encoded: Vec<Vec<u8>> = doc.address.iter().map(|a| encode(a)).collect();
    let widest = encoded.iter().map(|b| width(b, false, ADDRESS_SIZE)).fold(0.0, f32::max);
    let size = if widest > ADDRESS_WIDTH {
        (ADDRESS_SIZE * ADDRESS_WIDTH / widest).max(ADDRESS_MIN_SIZE)
    } else {
        ADDRESS_SIZE
    };
    let leading = size * 1.05;
    for (i, bytes) in encoded.into_iter().enumerate() {
        let baseline = ADDRESS_TOP + i as f32 * leading + baseline_offset(size, leading);
        l.current().push(Op { x: ADDRESS_LEFT, baseline, size, bold: false, bytes });
    }

    // Contact block: bottom-aligned in the right-hand column.
    let contact: Vec<Line> = doc
        .contact
        .iter()
        .flat_map(|c| {
            let lines = wrap(&[Piece::Text(c.clone())], CONTACT.0, CONTACT_WIDTH, false);
            if lines.is_empty() { vec![Line::default()] } else { lines }
        })
        .collect();
    let top = (CONTACT_BOTTOM - contact.len() as f32 * CONTACT.1).max(10.0 * MM);
    for (i, line) in contact.iter().enumerate() {
        l.draw(CONTACT_LEFT, top + i as f32 * CONTACT.1 + baseline_offset(CONTACT.0, CONTACT.1), CONTACT.0, line);
    }

    l.lines(LEFT, BODY, &wrap(&[Piece::Text(doc.date.clone())], BODY.0, COLUMN, false));
    l.gap = SUBJECT_BEFORE;
    l.lines(LEFT, SUBJECT, &wrap(&[Piece::Text(doc.subject.clone())], SUBJECT.0, COLUMN, true));
    l.gap = SUBJECT_AFTER;
    l.blocks(&doc.body, LEFT, COLUMN);
    l.pages
}

fn write(pages: Vec<Vec<Op>>, title: &str, language: LetterLanguage) -> Vec<u8> {
    let count = pages.len();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(6 + 2 * i as i32)).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(TextStr(title)).producer(TextStr("Publica"));

    for (i, mut ops) in pages.into_iter().enumerate() {
        let footer = encode(&footer(i + 1, count, language));
        let x = FOOTER_RIGHT - width(&footer, false, FOOTER_SIZE);
        ops.push(Op { x, baseline: FOOTER_BASELINE, size: FOOTER_SIZE, bold: false, bytes: footer });

        let mut content = Content::new();
        for op in &ops {
            content.begin_text();
            content.set_font(Name(if op.bold { b"F2" } else { b"F1" }), op.size);
            content.next_line(op.x, PAGE_HEIGHT - op.baseline);
            content.show(Str(&op.bytes));
            content.end_text();
        }
        let content_id = Ref::new(page_ids[i].get() + 1);
        let mut page = pdf.page(page_ids[i]);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT)).parent(tree).contents(content_id);
        page.resources().fonts().pair(Name(b"F1"), regular).pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// Renders a letter to PDF bytes, after the checks Notify makes (personalisation, empty
/// content, postal address).
pub fn letter_pdf(letter: &Letter<'_>) -> Result<Vec<u8>, RenderError> {
    let doc = compose(letter)?;
    Ok(write(layout(&doc), &doc.subject, letter.language))
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::super::metrics::decode;
    use super::super::pdf_check::page_count;
    use super::*;

    /// The text shown by each content stream, in order (literal and hex strings decoded).
    fn shown_text(pdf: &[u8]) -> Vec<String> {
        let mut pages = Vec::new();
        let mut rest = pdf;
        while let Some(start) = find(rest, b"stream\n") {
            let body = &rest[start + 7..];
            let end = find(body, b"\nendstream").unwrap_or(body.len());
            let stream = &body[..end];
            let mut text = String::new();
            let mut i = 0;
            while i < stream.len() {
                match stream[i] {
                    b'(' => {
                        let mut bytes = Vec::new();
                        i += 1;
                        while i < stream.len() && stream[i] != b')' {
                            if stream[i] == b'\\' {
                                i += 1;
                            }
                            bytes.push(stream[i]);
                            i += 1;
                        }
                        text.push_str(&decode(&bytes));
                        text.push('|');
                    }
                    b'<' => {
                        let close = stream[i..].iter().position(|b| *b == b'>').map_or(stream.len(), |p| i + p);
                        let hex = std::str::from_utf8(&stream[i + 1..close]).unwrap_or_default();
                        let bytes: Vec<u8> = (0..hex.len() / 2)
                            .filter_map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).ok())
                            .collect();
                        text.push_str(&decode(&bytes));
                        text.push('|');
                        i = close;
                    }
                    _ => {}
                }
                i += 1;
            }
            pages.push(text);
            rest = &body[(end + b"\nendstream".len()).min(body.len())..];
        }
        pages
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    fn personalisation() -> serde_json::Map<String, serde_json::Value> {
        json!({
            "address_line_1": "Élodie Dupont",
            "address_line_2": "12 rue de l’Église",
            "postcode": "75001 Paris",
            "name": "Élodie",
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn renders_a_one_page_letter() {
        let p = personalisation();
        let letter = Letter {
            subject: "Votre demande, ((name))",
            content: "Bonjour ((name)),\n\n# Prochaines étapes\n\n* Envoyez le formulaire\n* Attendez notre réponse\n\nVisitez https://exemple.fr/aide. Coût : 5 € – ou 中.",
            personalisation: &p,
            contact_block: Some("Mairie de Paris\n01 23 45 67 89"),
            date: date!(2025 - 05 - 01),
            language: LetterLanguage::French,
        };
        let pdf = letter_pdf(&letter).expect("letter renders");
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(page_count(&pdf), Ok(1));
        let pages = shown_text(&pdf);
        assert_eq!(pages.len(), 1);
        let text = &pages[0];
        for expected in [
            "Élodie Dupont|",
            "12 rue de l’Église|",
            "75001 Paris|",
            "Mairie de Paris|",
            "1er mai 2025|",
            "Votre demande, Élodie|",
            "Prochaines étapes|",
            "\u{2022}|",
            "Envoyez le formulaire|",
            "exemple.fr/aide|",
            "Page 1 sur 1|",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {text:?}");
        }
        // The character outside WinAnsi is replaced visibly, not dropped.
        assert!(text.contains("5 € – ou ?."), "{text:?}");
        assert!(pdf.windows(b"/BaseFont /Helvetica".len()).any(|w| w == b"/BaseFont /Helvetica"));
        assert!(pdf.windows(b"/WinAnsiEncoding".len()).any(|w| w == b"/WinAnsiEncoding"));
    }

    #[test]
    fn long_letters_flow_onto_numbered_pages_and_rules_break_pages() {
        let p = personalisation();
        let paragraph =
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ";
        let content = format!(
            "{}\n\n---\n\nLast page",
            (0..60).map(|i| format!("{i}: {}", paragraph.repeat(2))).collect::<Vec<_>>().join("\n\n")
        );
        let letter = Letter {
            subject: "Long",
            content: &content,
            personalisation: &p,
            contact_block: None,
            date: date!(2025 - 05 - 01),
            language: LetterLanguage::English,
        };
        let pdf = letter_pdf(&letter).expect("letter renders");
        let pages = shown_text(&pdf);
        let n = pages.len();
        assert!(n >= 4, "{n} pages");
        assert_eq!(page_count(&pdf), Ok(n));
        for (i, page) in pages.iter().enumerate() {
            assert!(page.contains(&format!("Page {} of {n}|", i + 1)));
        }
        assert!(pages[n - 1].starts_with("Last page|"), "{:?}", pages[n - 1]);
        assert!(pages[n - 2].contains("|59: Lorem"));
        // Every paragraph made it, in order.
        let all = pages.concat();
        let positions: Vec<usize> = (0..60).filter_map(|i| all.find(&format!("|{i}: Lorem"))).collect();
        assert_eq!(positions.len(), 60);
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_splits_overlong_words() {
        let lines = wrap(&[Piece::Text("aaa bbb ccc".into())], 10.0, width(b"aaa bbb", false, 10.0) + 0.1, false);
        let text: Vec<String> = lines.iter().map(|l| l.runs.iter().map(|(b, _)| decode(b)).collect()).collect();
        assert_eq!(text, vec!["aaa bbb", "ccc"]);
        let lines = wrap(&[Piece::Text("x".repeat(50))], 10.0, 50.0, false);
        assert!(lines.len() > 1 && lines.iter().all(|l| l.width <= 50.0));
        let lines = wrap(
            &[Piece::Text("see ".into()), Piece::Bold("a.b".into()), Piece::Text(".".into())],
            10.0,
            1000.0,
            false,
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].runs.iter().filter(|(_, bold)| *bold).count(), 1);
    }

    #[test]
    fn invalid_letters_are_refused() {
        let p = json!({"address_line_1": "Only one line"}).as_object().cloned().unwrap_or_default();
        let letter = Letter {
            subject: "S",
            content: "Hello",
            personalisation: &p,
            contact_block: None,
            date: date!(2025 - 05 - 01),
            language: LetterLanguage::English,
        };
        assert_eq!(letter_pdf(&letter), Err(RenderError::Address(super::super::AddressError::TooFewLines)));
    }
}
