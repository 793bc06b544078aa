//! Email bodies as Notify produces them: the HTML part (GOV.UK email styles, inline CSS, tables
//! only around lists), the `text/plain` part and the preheader, plus GC Notify's bilingual blocks
//! (`[[en]]…[[/en]]`, `[[fr]]…[[/fr]]`) and the complete HTML document around the body.

use super::entities::unescape;
use super::inline::{Inline, parse_inline};
use super::markdown::{Block, Item, parse};
use super::text::{escape_attr, markdown_escape, py_strip, sanitise_href};
use super::typography::nice_typography;

const LINK_STYLE: &str = "word-wrap: break-word; color: #1D70B8;";
const P_OPEN: &str = "<p style=\"Margin: 0 0 20px 0; font-size: 19px; line-height: 25px; color: #0B0C0C;\">";
const H2_OPEN: &str = "<h2 style=\"Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 27px; line-height: 35px; font-weight: bold; color: #0B0C0C;\">";
const H3_OPEN: &str = "<h3 style=\"Margin: 0 0 15px 0; padding: 10px 0 0 0; font-size: 19px; line-height: 25px; font-weight: bold; color: #0B0C0C;\">";
const HR: &str = "<hr style=\"border: 0; height: 1px; background: #B1B4B6; Margin: 30px 0 30px 0;\">";
const LIST_OPEN: &str = "<table role=\"presentation\" style=\"padding: 0 0 20px 0;\"><tr><td style=\"font-family: Helvetica, Arial, sans-serif;\">";
const LIST_CLOSE: &str = "</td></tr></table>";
const OL_OPEN: &str = "<ol style=\"Margin: 0 0 0 20px; padding: 0; list-style-type: decimal;\">";
const UL_OPEN: &str = "<ul style=\"Margin: 0 0 0 20px; padding: 0; list-style-type: disc;\">";
const LI_OPEN: &str =
    "<li style=\"Margin: 5px 0 5px; padding: 0 0 0 5px; font-size: 19px;line-height: 25px; color: #0B0C0C;\">";
const BLOCKQUOTE_OPEN: &str = "<blockquote style=\"Margin: 0 0 20px 0; border-left: 10px solid #B1B4B6;padding: 15px 0 0.1px 15px; font-size: 19px; line-height: 25px;\">";
const PLAIN_WIDTH: usize = 65;

/// Which of Notify's renderers to use.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Style {
    Html,
    Plain,
    Preheader,
}

/// The `href` for a link written in a template: anything that is not an `http(s)`, `mailto:` or
/// `tel:` link is treated as a web address (so `javascript:` and the like never reach a mail
/// client), then quoted so it cannot leave its attribute.
fn link_href(link: &str) -> String {
    let lower = link.to_lowercase();
    let allowed = lower.starts_with("http") || lower.starts_with("mailto:") || lower.starts_with("tel:");
    sanitise_href(&if allowed { link.to_string() } else { format!("http://{link}") })
}

fn anchor(href: &str, title: Option<&str>, content: &str) -> String {
    match title {
        Some(t) => {
            format!("<a style=\"{LINK_STYLE}\" href=\"{href}\" title=\"{}\">{content}</a>", t.replace('"', "&quot;"))
        }
        None => format!("<a style=\"{LINK_STYLE}\" href=\"{href}\">{content}</a>"),
    }
}

fn inline(items: &[Inline], style: Style) -> String {
    let mut out = String::new();
    for item in items {
        match item {
            Inline::Text(t) => out.push_str(&markdown_escape(t)),
            Inline::LineBreak => out.push_str(if style == Style::Html { "<br>" } else { "\n" }),
            Inline::Image => {}
            Inline::AutoLink { link, email } => match style {
                Style::Html if !email => {
                    let href =
                        if link.to_lowercase().starts_with("http") { link.clone() } else { format!("http://{link}") };
                    out.push_str(&anchor(&sanitise_href(&href), None, link));
                }
                _ => out.push_str(link),
            },
            Inline::Link { content, href, title } => {
                let content = inline(content, style);
                let title_part = title.as_ref().map(|t| format!(" ({t})")).unwrap_or_default();
                match style {
                    Style::Html => out.push_str(&anchor(&link_href(href), title.as_deref(), &content)),
                    Style::Plain => out.push_str(&format!("{content}{title_part}: {href}")),
                    Style::Preheader => out.push_str(&format!("{content}{title_part}")),
                }
            }
        }
    }
    out
}

fn paragraph(text: &str, style: Style) -> String {
    if py_strip(text).is_empty() {
        return String::new();
    }
    match style {
        Style::Html => format!("{P_OPEN}{text}</p>"),
        _ => format!("\n\n{text}"),
    }
}

fn heading(level: u8, text: &str, style: Style) -> String {
    match (style, level) {
        (Style::Html, 1) => format!("{H2_OPEN}{text}</h2>"),
        (Style::Html, 2) => format!("{H3_OPEN}{text}</h3>"),
        (Style::Plain, 1) => format!("\n\n\n{text}\n{}", "=".repeat(PLAIN_WIDTH)),
        (Style::Plain, 2) => format!("\n\n\n{text}\n{}", "-".repeat(PLAIN_WIDTH)),
        _ => paragraph(text, style),
    }
}

fn item(item: &Item, index: usize, ordered: bool, style: Style) -> String {
    let body: String = item
        .blocks
        .iter()
        .map(|b| match b {
            Block::Text(src) if !item.loose => inline(&parse_inline(src), style),
            other => block(other, style),
        })
        .collect();
    let body = py_strip(&body);
    match style {
        Style::Html => format!("{LI_OPEN}{body}</li>"),
        _ if ordered => format!("\n{}. {body}", index + 1),
        _ => format!("\n\u{2022} {body}"),
    }
}

fn block(b: &Block, style: Style) -> String {
    match b {
        Block::Newline => if style == Style::Html { "<br>" } else { "\n" }.to_string(),
        Block::Paragraph(src) | Block::Text(src) => paragraph(&inline(&parse_inline(src), style), style),
        Block::Heading { level, text } => heading(*level, &inline(&parse_inline(text), style), style),
        Block::Rule => match style {
            Style::Html => HR.to_string(),
            Style::Plain => paragraph(&"=-".repeat(PLAIN_WIDTH.div_ceil(2))[..PLAIN_WIDTH], style),
            Style::Preheader => String::new(),
        },
        Block::Code(code) => code.clone(),
        Block::Quote(children) => {
            let inner = blocks(children, style);
            if style == Style::Html { format!("{BLOCKQUOTE_OPEN}{inner}</blockquote>") } else { inner }
        }
        Block::List { ordered, items } => {
            let body: String = items.iter().enumerate().map(|(i, it)| item(it, i, *ordered, style)).collect();
            match style {
                Style::Html => {
                    let (open, close) = if *ordered { (OL_OPEN, "</ol>") } else { (UL_OPEN, "</ul>") };
                    format!("{LIST_OPEN}{open}{body}{close}{LIST_CLOSE}")
                }
                _ => format!("\n{body}"),
            }
        }
    }
}

fn blocks(bs: &[Block], style: Style) -> String {
    bs.iter().map(|b| block(b, style)).collect()
}

/// A language of GC Notify's bilingual blocks and the `lang` its HTML carries.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Lang {
    En,
    Fr,
}

const MARKERS: [(&str, Option<Lang>); 4] =
    [("[[en]]", Some(Lang::En)), ("[[/en]]", None), ("[[fr]]", Some(Lang::Fr)), ("[[/fr]]", None)];

enum Segment<'a> {
    Text(&'a str),
    Open(Lang),
    Close,
}

/// Splits content at bilingual markers when every block is opened and closed in order (a close
/// marker must match the open one); otherwise `None`.
fn segments(content: &str) -> Option<Vec<Segment<'_>>> {
    let mut out = Vec::new();
    let mut open: Option<Lang> = None;
    let mut rest = content;
    loop {
        let next =
            MARKERS.iter().filter_map(|(m, lang)| rest.find(m).map(|i| (i, *m, *lang))).min_by_key(|(i, _, _)| *i);
        let Some((i, marker, lang)) = next else {
            out.push(Segment::Text(rest));
            break;
        };
        out.push(Segment::Text(&rest[..i]));
        match (lang, open) {
            (Some(l), None) => {
                open = Some(l);
                out.push(Segment::Open(l));
            }
            (None, Some(l)) if marker.ends_with(if l == Lang::En { "en]]" } else { "fr]]" }) => {
                open = None;
                out.push(Segment::Close);
            }
            _ => return None,
        }
        rest = &rest[i + marker.len()..];
    }
    open.is_none().then_some(out)
}

fn has_markers(content: &str) -> bool {
    MARKERS.iter().any(|(m, _)| content.contains(m))
}

fn strip_markers(content: &str) -> String {
    MARKERS.iter().fold(content.to_string(), |s, (m, _)| s.replace(m, ""))
}

/// Renders prepared content (placeholders filled, `GOV.UK` unlinked, trailing newline added).
/// `html` tells whether the content was HTML-escaped.
pub(crate) fn render_markdown(content: &str, style: Style, html: bool) -> String {
    if !has_markers(content) {
        return blocks(&parse(content, html), style);
    }
    match segments(content) {
        Some(parts) => parts
            .into_iter()
            .map(|part| match part {
                Segment::Text(t) => blocks(&parse(t, html), style),
                Segment::Open(lang) if style == Style::Html => {
                    format!("<div lang=\"{}\">", if lang == Lang::En { "en-ca" } else { "fr-ca" })
                }
                Segment::Close if style == Style::Html => "</div>".to_string(),
                _ => String::new(),
            })
            .collect(),
        None if style == Style::Html => blocks(&parse(content, html), style),
        None => blocks(&parse(&strip_markers(content), html), style),
    }
}

/// The HTML body (`html_body`): rendered markdown with Notify's typography.
pub(crate) fn html_body(prepared_escaped: &str) -> String {
    nice_typography(&render_markdown(prepared_escaped, Style::Html, true))
}

/// The `text/plain` part.
pub(crate) fn plain_body(prepared: &str) -> String {
    let text = unescape(&nice_typography(&render_markdown(prepared, Style::Plain, false)));
    format!("{}\n", text.trim_start_matches(super::text::py_isspace))
}

/// The hidden preview line mail clients show after the subject (at most 256 characters).
pub(crate) fn preheader(prepared_escaped: &str) -> String {
    let text = nice_typography(&render_markdown(prepared_escaped, Style::Preheader, true));
    let collapsed = super::text::collapse_whitespace(&text);
    py_strip(&collapsed.chars().take(256).collect::<String>()).to_string()
}

/// What the HTML document shows around the body.
pub(crate) struct Document<'a> {
    pub lang: &'a str,
    pub subject: &'a str,
    pub preheader: &'a str,
    pub body: &'a str,
    pub brand_name: Option<&'a str>,
    pub brand_colour: Option<&'a str>,
}

fn valid_colour(c: &str) -> bool {
    c.strip_prefix('#').is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn valid_lang(l: &str) -> bool {
    !l.is_empty() && l.len() <= 35 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A complete HTML email: no scripts, no remote images, styles inline as mail clients need.
pub(crate) fn document(d: &Document<'_>) -> String {
    let lang = if valid_lang(d.lang) { d.lang } else { "en" };
    let colour = d.brand_colour.filter(|c| valid_colour(c)).unwrap_or("#0b0c0c");
    let banner = match d.brand_name {
        Some(name) if !name.trim().is_empty() => format!(
            concat!(
                "<table role=\"presentation\" width=\"100%\" style=\"border-collapse: collapse;min-width: 100%;width: 100% !important;\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\">\n",
                "  <tr>\n    <td width=\"100%\" bgcolor=\"{colour}\">\n",
                "      <table role=\"presentation\" width=\"100%\" style=\"border-collapse: collapse;max-width: 580px;\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" align=\"center\">\n",
                "        <tr>\n          <td style=\"padding: 14px 10px;\">\n",
                "            <span style=\"display: block; font-family: Helvetica, Arial, sans-serif; font-weight: 700; font-size: 19px; line-height: 25px; color: #ffffff;\">{name}</span>\n",
                "          </td>\n        </tr>\n      </table>\n    </td>\n  </tr>\n</table>\n"
            ),
            colour = colour,
            name = escape_attr(name.trim()),
        ),
        _ => String::new(),
    };
    format!(
        concat!(
            "<!DOCTYPE html>\n",
            "<html lang=\"{lang}\">\n",
            "<head>\n",
            "  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n",
            "  <meta name=\"viewport\" content=\"width=device-width\">\n",
            "  <meta name=\"format-detection\" content=\"telephone=no\">\n",
            "  <title>{subject}</title>\n",
            "</head>\n",
            "<body style=\"font-family: Helvetica, Arial, sans-serif;font-size: 16px;margin: 0;color:#0b0c0c;\">\n",
            "<span style=\"display: none;font-size: 1px;color: #fff; max-height: 0;\">{preheader}\u{2026}</span>\n",
            "{banner}",
            "<table role=\"presentation\" class=\"content\" align=\"center\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"border-collapse: collapse;max-width: 580px; width: 100% !important;\" width=\"100%\">\n",
            "  <tr>\n    <td height=\"30\"><br></td>\n  </tr>\n",
            "  <tr>\n    <td width=\"10\" valign=\"middle\"><br></td>\n",
            "    <td style=\"font-family: Helvetica, Arial, sans-serif; font-size: 19px; line-height: 1.315789474; max-width: 560px;\">\n",
            "{body}\n",
            "    </td>\n    <td width=\"10\" valign=\"middle\"><br></td>\n  </tr>\n",
            "  <tr>\n    <td height=\"30\"><br></td>\n  </tr>\n",
            "</table>\n",
            "</body>\n",
            "</html>\n"
        ),
        lang = lang,
        subject = escape_attr(d.subject),
        preheader = d.preheader,
        banner = banner,
        body = d.body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(s: &str) -> String {
        html_body(&format!("{}\n", super::super::text::escape_html(s)))
    }

    fn plain(s: &str) -> String {
        plain_body(&format!("{s}\n"))
    }

    #[test]
    fn paragraphs_and_line_breaks() {
        assert_eq!(html("Hello\nworld\n\nBye"), format!("{P_OPEN}Hello<br>world</p>{P_OPEN}Bye</p>"));
        assert_eq!(plain("Hello\nworld\n\nBye"), "Hello\nworld\n\nBye\n");
    }

    #[test]
    fn headings() {
        assert_eq!(html("# Big\n## Small\n### Para"), format!("{H2_OPEN}Big</h2>{H3_OPEN}Small</h3>{P_OPEN}Para</p>"));
        assert_eq!(
            plain("# Big\n\n## Small\n\nText"),
            format!("Big\n{}\n\n\nSmall\n{}\n\nText\n", "=".repeat(65), "-".repeat(65))
        );
    }

    #[test]
    fn lists() {
        assert_eq!(
            html("* one\n* two"),
            format!("{LIST_OPEN}{UL_OPEN}{LI_OPEN}one</li>{LI_OPEN}two</li></ul>{LIST_CLOSE}")
        );
        assert_eq!(html("1. one"), format!("{LIST_OPEN}{OL_OPEN}{LI_OPEN}one</li></ol>{LIST_CLOSE}"));
        assert_eq!(
            plain("Intro\n\n* one\n* two\n\nMiddle\n\n1. a\n2. b\n\nEnd"),
            "Intro\n\n\u{2022} one\n\u{2022} two\n\nMiddle\n\n1. a\n2. b\n\nEnd\n"
        );
        // A numbered item right after a blank line continues a bulleted list, as in Notify.
        assert_eq!(plain("* one\n\n1. a"), "\u{2022} one\n\u{2022} a\n");
        assert_eq!(
            html("* a\n\n* b"),
            format!("{LIST_OPEN}{UL_OPEN}{LI_OPEN}{P_OPEN} a</p></li>{LI_OPEN}{P_OPEN} b</p></li></ul>{LIST_CLOSE}")
        );
    }

    #[test]
    fn inset_text_rules_and_code() {
        assert_eq!(html("^ Note this"), format!("{BLOCKQUOTE_OPEN}{P_OPEN}Note this</p></blockquote>"));
        assert_eq!(plain("^ Note this"), "Note this\n");
        assert_eq!(html("a\n\n---\n\nb"), format!("{P_OPEN}a</p>{HR}{P_OPEN}b</p>"));
        assert_eq!(plain("a\n\n---\n\nb"), format!("a\n\n{}\n\nb\n", &"=-".repeat(33)[..65]));
    }

    #[test]
    fn links() {
        assert_eq!(
            html("[Apply now](https://example.com/apply?a=1&b=2)"),
            format!(
                "{P_OPEN}<a style=\"{LINK_STYLE}\" href=\"https://example.com/apply?a=1&amp;b=2\">Apply now</a></p>"
            )
        );
        assert_eq!(
            html("Go to https://example.com/x. Then stop"),
            format!(
                "{P_OPEN}Go to <a style=\"{LINK_STYLE}\" href=\"https://example.com/x\">https://example.com/x</a>. Then stop</p>"
            )
        );
        assert_eq!(plain("[Apply](https://example.com \"Form\") now"), "Apply (Form): https://example.com now\n");
        assert!(html("[x](javascript:alert(1))").contains("href=\"http://javascript:alert%281\""));
        assert!(html("[x](\"onmouseover=\"a)").contains("href=\"http://%22onmouseover=%22a\""));
    }

    #[test]
    fn escaping_and_typography() {
        let body = html("Tom & Jerry's <b>\"show\"</b> - today");
        assert_eq!(
            body,
            format!("{P_OPEN}Tom &amp; Jerry\u{2019}s &lt;b&gt;\u{201d}show\u{201d}&lt;/b&gt; \u{2013} today</p>")
        );
        assert_eq!(html("Say \"hi\""), format!("{P_OPEN}Say \u{201c}hi\u{201d}</p>"));
        assert_eq!(plain("Tom & Jerry's <b>x</b> &amp; y"), "Tom & Jerry\u{2019}s <b>x</b> & y\n");
    }

    #[test]
    fn bilingual_blocks() {
        let body = html("[[en]]\n# Title\nHello\n[[/en]]\n[[fr]]\nBonjour\n[[/fr]]");
        assert_eq!(
            body,
            format!(
                "<div lang=\"en-ca\">{H2_OPEN}Title</h2>{P_OPEN}Hello</p></div><div lang=\"fr-ca\">{P_OPEN}Bonjour</p></div>"
            )
        );
        assert_eq!(plain("[[en]]\nHello\n[[/en]]\n[[fr]]\nBonjour\n[[/fr]]"), "Hello\n\nBonjour\n");
        // Unbalanced markers stay as text in HTML and are removed from plain text.
        assert!(html("[[en]]\nHello").contains("[[en]]"));
        assert_eq!(plain("[[en]]\nHello"), "Hello\n");
    }

    #[test]
    fn preheader_is_plain_and_short() {
        assert_eq!(preheader("# Title\n\nSee [this](https://x.y) *now*\n"), "Title See this *now*");
        assert_eq!(preheader(&"word ".repeat(100)).chars().count(), 256);
    }

    #[test]
    fn document_wraps_body_with_brand_and_lang() {
        let doc = document(&Document {
            lang: "fr",
            subject: "A & B",
            preheader: "pre",
            body: "<p>x</p>",
            brand_name: Some("Ministry <of> Tests"),
            brand_colour: Some("red;background:url(x)"),
        });
        assert!(doc.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
        assert!(doc.contains("<title>A &amp; B</title>"));
        assert!(doc.contains("Ministry &lt;of&gt; Tests"));
        assert!(doc.contains("bgcolor=\"#0b0c0c\""));
        assert!(doc.contains("<p>x</p>"));
        assert!(!doc.contains("<script"));
    }
}
