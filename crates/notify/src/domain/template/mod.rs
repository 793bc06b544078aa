//! The template engine of the notify block: placeholders, email (HTML and plain text), SMS and
//! letters rendered as GOV.UK Notify renders them, so API responses match Notify's. Pure: no I/O.
//!
//! Choices worth knowing:
//! - [`Rendered::body`] is Notify's `content.body`: the template content with personalisation
//!   applied and stripped (markdown source for email and letters; for SMS the message as sent,
//!   prefix included and characters downgraded). [`Rendered::text`] is the `text/plain` part.
//! - Missing personalisation is reported first (subject and contact block placeholders before
//!   the content's, as Notify lists them), then an empty message, then a message too long.
//! - A letter's subject is returned HTML-escaped, as Notify's API returns it.
//! - Personalisation keys that differ only in case, spaces, `_` or `-` are the same key; if a
//!   request gives several, the one last in key order wins.
//! - GC Notify's bilingual blocks wrap in `<div lang="en-ca">`/`<div lang="fr-ca">` when every
//!   block is closed in order; otherwise the markers stay as text in HTML. Plain text drops them.
//! - Links written in a template keep `http(s)`, `mailto:` and `tel:`; any other target is
//!   treated as a web address (`http://…`), and every `href` is percent-quoted.
//! - Not supported (Notify drops or ignores them too, or they are rare): reference-style links,
//!   tables, footnotes, letters' QR codes, raw HTML blocks in the plain-text part.
//! - Letters print the recipient's address at 10 pt (smaller if a line would not fit the window)
//!   and leave country- and postcode-specific address checks to the caller.

mod email;
mod entities;
mod inline;
mod letter;
mod letter_pdf;
mod markdown;
mod metrics;
mod pdf_check;
mod placeholder;
mod sms;
mod sms_table;
mod text;
mod typography;

use serde::{Deserialize, Serialize};

pub use letter::{AddressError, Letter, LetterLanguage, postal_address};
pub use letter_pdf::letter_pdf;
pub use pdf_check::{LETTER_MAX_PAGE_COUNT, PdfError, check_precompiled, page_count, pdf_page_count};
pub use placeholder::{placeholders, str2bool};
pub use sms::{SMS_CHAR_COUNT_LIMIT, SmsEncoding, SmsInfo, sms_encode, sms_info};

use placeholder::{FieldMode, Values, fill, placeholders_of};
use text::{normalise_whitespace, py_strip, strip_unsupported_characters, unlink_govuk_escaped};
use typography::nice_typography;

/// Notify's limit on an email's size (content with placeholders filled, UTF-8 bytes).
pub const EMAIL_MAX_BYTES: usize = 2_000_000;

/// The kind of a template.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TemplateType {
    Email,
    Sms,
    Letter,
}

/// A template as stored: `subject` is used by email and letter templates.
#[derive(Clone, Copy, Debug)]
pub struct Template<'a> {
    pub kind: TemplateType,
    pub subject: Option<&'a str>,
    pub content: &'a str,
}

/// Personalisation as received in an API request.
pub type Personalisation = serde_json::Map<String, serde_json::Value>;

/// Rendering settings that come from the service rather than the template.
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions<'a> {
    /// SMS: the service name shown as `Name: ` before the message, when the service uses one.
    pub sms_prefix: Option<&'a str>,
    /// Email: the name shown in the header of the HTML email (none: no header).
    pub brand_name: Option<&'a str>,
    /// Email: the header colour, `#rgb` or `#rrggbb` (default `#0b0c0c`).
    pub brand_colour: Option<&'a str>,
    /// Email: the document language (`lang` of the `<html>` element).
    pub lang: &'a str,
    /// Email: a one-click unsubscribe link, added at the end as Notify adds it.
    pub unsubscribe_link: Option<&'a str>,
    /// Letter: the sender's contact block (its placeholders must be personalised too).
    pub letter_contact_block: Option<&'a str>,
    /// Only check and fill in (`subject`, `body`): skip the HTML and plain-text renderings, as
    /// when accepting a notification whose email is rendered later, at delivery.
    pub body_only: bool,
}

impl Default for RenderOptions<'_> {
    fn default() -> Self {
        Self {
            sms_prefix: None,
            brand_name: None,
            brand_colour: None,
            lang: "en",
            unsubscribe_link: None,
            letter_contact_block: None,
            body_only: false,
        }
    }
}

/// A rendered notification.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendered {
    /// Email: the subject with typography applied, whitespace collapsed. Letter: the same,
    /// HTML-escaped (as Notify's API returns it). SMS: none.
    pub subject: Option<String>,
    /// Notify's `content.body` (see the module documentation).
    pub body: String,
    /// Email: the `text/plain` part. SMS: the message as sent. Letter: a plain-text rendering.
    pub text: String,
    /// Email: the complete HTML document.
    pub html: Option<String>,
    /// SMS: encoding, characters and fragments.
    pub sms: Option<SmsInfo>,
}

/// Why a notification cannot be rendered; the messages are Notify's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("Missing personalisation: {}", .0.join(", "))]
    MissingPersonalisation(Vec<String>),
    #[error("Your message is empty.")]
    Empty,
    #[error(
        "Your message is too long. Text messages cannot be longer than {limit} characters. Your message is {length} characters long."
    )]
    SmsTooLong { limit: usize, length: usize },
    #[error("Your message is too long. Emails cannot be longer than {limit} bytes. Your message is {length} bytes.")]
    EmailTooLong { limit: usize, length: usize },
    #[error(transparent)]
    Address(#[from] AddressError),
}

/// Placeholders of a template in Notify's order (subject first, then content).
pub fn template_placeholders(t: &Template<'_>, opts: &RenderOptions<'_>) -> Vec<String> {
    let subject = t.subject.unwrap_or_default();
    match t.kind {
        TemplateType::Sms => placeholders(t.content),
        TemplateType::Email => placeholders_of(&[subject, t.content]),
        TemplateType::Letter => placeholders_of(&[opts.letter_contact_block.unwrap_or_default(), subject, t.content]),
    }
}

/// The content with placeholders filled, as markdown source (Notify's
/// `content_with_placeholders_filled_in` for email and letters).
fn filled_source(content: &str, values: &Values<'_>) -> String {
    py_strip(&fill(content, values, FieldMode { escape: false, markdown_lists: true, markup: true })).to_string()
}

/// Notify's `is_message_empty` for email and letters.
fn is_empty(content: &str, filled: &str) -> bool {
    content.is_empty() || (content.starts_with("((") && content.ends_with("))") && filled.is_empty())
}

fn subject_text(subject: &str, values: &Values<'_>, escape: bool) -> String {
    let filled = fill(subject, values, FieldMode { escape, markdown_lists: false, markup: true });
    normalise_whitespace(&nice_typography(&filled))
}

/// Content prepared for the markdown renderers, as Notify prepares it.
fn prepared(content: &str, values: &Values<'_>, escape: bool) -> String {
    let filled = fill(content, values, FieldMode { escape, markdown_lists: true, markup: true });
    format!("{}\n", strip_unsupported_characters(&unlink_govuk_escaped(&filled)))
}

/// Renders a template with personalisation, checking what Notify checks before accepting it.
pub fn render(t: &Template<'_>, p: &Personalisation, opts: &RenderOptions<'_>) -> Result<Rendered, RenderError> {
    let values = Values::new(p);
    let missing = values.missing(&template_placeholders(t, opts));
    if !missing.is_empty() {
        return Err(RenderError::MissingPersonalisation(missing));
    }
    match t.kind {
        TemplateType::Sms => {
            let sms = sms::render_sms(t.content, &values, opts.sms_prefix);
            if sms.length_without_prefix == 0 {
                return Err(RenderError::Empty);
            }
            if sms.length_without_prefix > SMS_CHAR_COUNT_LIMIT {
                return Err(RenderError::SmsTooLong { limit: SMS_CHAR_COUNT_LIMIT, length: sms.length_without_prefix });
            }
            Ok(Rendered { subject: None, text: sms.body.clone(), body: sms.body, html: None, sms: Some(sms.info) })
        }
        TemplateType::Email => {
            let body = filled_source(t.content, &values);
            if is_empty(t.content, &body) {
                return Err(RenderError::Empty);
            }
            if body.len() > EMAIL_MAX_BYTES {
                return Err(RenderError::EmailTooLong { limit: EMAIL_MAX_BYTES, length: body.len() });
            }
            if opts.body_only {
                let subject = subject_text(t.subject.unwrap_or_default(), &values, false);
                return Ok(Rendered { subject: Some(subject), body, text: String::new(), html: None, sms: None });
            }
            let with_link = match opts.unsubscribe_link {
                Some(link) => format!("{}\n\n---\n\n[Unsubscribe from these emails]({link})", t.content),
                None => t.content.to_string(),
            };
            let subject = subject_text(t.subject.unwrap_or_default(), &values, false);
            let html_body = email::html_body(&prepared(&with_link, &values, true));
            let preheader = email::preheader(&prepared(t.content, &values, true));
            let html = email::document(&email::Document {
                lang: opts.lang,
                subject: &subject,
                preheader: &preheader,
                body: &html_body,
                brand_name: opts.brand_name,
                brand_colour: opts.brand_colour,
            });
            let text = email::plain_body(&prepared(&with_link, &values, false));
            Ok(Rendered { subject: Some(subject), body, text, html: Some(html), sms: None })
        }
        TemplateType::Letter => {
            let body = filled_source(t.content, &values);
            if is_empty(t.content, &body) {
                return Err(RenderError::Empty);
            }
            let subject = subject_text(t.subject.unwrap_or_default(), &values, true);
            if opts.body_only {
                return Ok(Rendered { subject: Some(subject), body, text: String::new(), html: None, sms: None });
            }
            let text = email::plain_body(&prepared(t.content, &values, false));
            Ok(Rendered { subject: Some(subject), body, text, html: None, sms: None })
        }
    }
}

#[cfg(test)]
mod tests;
