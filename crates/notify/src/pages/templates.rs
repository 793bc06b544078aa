//! Templates: the list, and the form that creates one or saves its next version, with a preview
//! rendered on the server from what is in the form and sample personalisation (an email in a
//! sandboxed frame, a text message with its length and cost, a letter as text and as a PDF).
//! The form works without JavaScript; where scripts run, `assets/preview.js` posts the form to
//! the preview endpoint as it is edited and puts the fragment it answers in place.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Nav, PagesState, When, plural, service_of};

#[path = "template_preview.rs"]
mod live;
use crate::domain::kinds::Channel;
use crate::domain::template::{self, Personalisation, RenderError, RenderOptions, TemplateType};
use crate::service::admin::TemplateInput;
use crate::store::{self, Service, TemplateVersion};
pub(super) use live::{SCRIPT_PATH, preview_edit, preview_new, script};

/// The address a letter preview is posted to, unless the form gives one.
const SAMPLE_ADDRESS: [(&str, &str); 4] = [
    ("address_line_1", "A. Citizen"),
    ("address_line_2", "1 Example Street"),
    ("address_line_3", "Demotown"),
    ("postcode", "DE1 2AB"),
];
const POSTAGES: [&str; 3] = ["first", "second", "economy"];
/// The prefix of the form fields that hold sample personalisation.
const SAMPLE_FIELD: &str = "p:";
/// The form's page loads one script of this block's own (the live preview), which posts the
/// form back to this site: the kernel's page policy plus `script-src` and `connect-src 'self'`.
const FORM_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Email previews are shown in a sandboxed frame whose document inherits this page's policy:
/// its inline styles (as emails have them) need `'unsafe-inline'`; inline scripts stay forbidden
/// (and the frame's sandbox runs none at all).
const PREVIEW_CSP: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    script-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct TemplateRow {
    id: Uuid,
    name: String,
    kind: String,
    version: i64,
    saved: When,
}

#[derive(Template)]
#[template(path = "notify/templates.html")]
struct Templates {
    ctx: PageCtx,
    nav: Nav,
    templates: Vec<TemplateRow>,
}

pub(super) async fn list(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let templates = store::templates(state.kernel.db(), id, None)
        .await?
        .into_iter()
        .map(|t| TemplateRow {
            id: t.id,
            kind: ctx.t(&format!("notify-channel-{}", t.kind)),
            name: t.name,
            version: t.version,
            saved: When::to_minute(t.version_created_at),
        })
        .collect();
    let nav = Nav::new(&service, &staff, "templates");
    Ok(render(&Templates { ctx, nav, templates }))
}

/// What the form holds.
#[derive(Clone, Debug, Default)]
struct Draft {
    name: String,
    subject: String,
    content: String,
    postage: String,
    /// Sample personalisation given in the form: `(placeholder, value)`.
    samples: Vec<(String, String)>,
}

impl Draft {
    /// The draft and the button pressed (`save`, `preview` or `pdf`).
    fn from_form(fields: Vec<(String, String)>) -> (Draft, String) {
        let mut draft = Draft { postage: "second".into(), ..Draft::default() };
        let mut action = String::from("preview");
        for (key, value) in fields {
            match key.as_str() {
                "name" => draft.name = value,
                "subject" => draft.subject = value,
                "content" => draft.content = value,
                "postage" => draft.postage = value,
                "action" => action = value,
                other => {
                    if let Some(name) = other.strip_prefix(SAMPLE_FIELD) {
                        draft.samples.push((name.to_string(), value));
                    }
                }
            }
        }
        (draft, action)
    }

    fn of(t: &TemplateVersion) -> Draft {
        Draft {
            name: t.name.clone(),
            subject: t.subject.clone().unwrap_or_default(),
            content: t.content.clone(),
            postage: t.postage.clone().unwrap_or_else(|| "second".into()),
            samples: Vec::new(),
        }
    }

    fn source(&self, channel: Channel) -> template::Template<'_> {
        let kind = match channel {
            Channel::Email => TemplateType::Email,
            Channel::Sms => TemplateType::Sms,
            Channel::Letter => TemplateType::Letter,
        };
        template::Template { kind, subject: Some(&self.subject), content: &self.content }
    }

    fn sample(&self, name: &str) -> Option<&str> {
        self.samples.iter().find(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.as_str())
    }

    /// Personalisation for a preview: the sample values given, else the placeholder itself
    /// (so the preview shows where it goes); letters get a sample address.
    fn personalisation(&self, channel: Channel, placeholders: &[String]) -> Personalisation {
        let mut p = Personalisation::new();
        for name in placeholders {
            let value = match (self.sample(name), SAMPLE_ADDRESS.iter().find(|(k, _)| *k == name)) {
                (Some(v), _) => v.to_string(),
                (None, Some((_, address))) if channel == Channel::Letter => address.to_string(),
                (None, _) => format!("(({name}))"),
            };
            p.insert(name.clone(), Value::String(value));
        }
        if channel == Channel::Letter {
            for (key, value) in SAMPLE_ADDRESS {
                if !p.contains_key(key) {
                    p.insert(key.into(), Value::String(self.sample(key).unwrap_or(value).to_string()));
                }
            }
        }
        p
    }
}

/// A sample value field of the form.
struct Sample {
    id: String,
    field: String,
    name: String,
    value: String,
}

/// A mistake in the form, shown in the error summary and next to its field.
struct FieldError {
    id: &'static str,
    message: String,
    lang: Option<&'static str>,
}

/// The preview of the draft.
#[derive(Default)]
struct Preview {
    subject: Option<String>,
    from: Option<String>,
    html: Option<String>,
    text: Option<String>,
    sms_length: Option<String>,
    error: Option<String>,
    error_lang: Option<&'static str>,
}

struct VersionRow {
    version: i64,
    name: String,
    saved: When,
    by: String,
    shown: bool,
    /// The link's text: "View version N".
    view: String,
}

#[derive(Template)]
#[template(path = "notify/template_edit.html")]
struct Editor {
    ctx: PageCtx,
    nav: Nav,
    channel: &'static str,
    heading: String,
    action: String,
    draft: Draft,
    samples: Vec<Sample>,
    errors: Vec<FieldError>,
    preview: Preview,
    /// Where the live preview posts the form.
    preview_action: String,
    notice: Option<String>,
    versions: Vec<VersionRow>,
    pdf_link: Option<String>,
    /// `(value, label)` of each postage a letter can have.
    postages: Vec<(&'static str, String)>,
}

impl Editor {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The ids a field's `aria-describedby` names: its hint and, if any, its error.
    fn described(&self, id: &str, hint: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{id}-hint"));
        }
        if self.error(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
}

/// Everything needed to answer with the form.
struct Form<'a> {
    state: &'a PagesState,
    ctx: PageCtx,
    staff: &'a StaffSession,
    service: &'a Service,
    channel: Channel,
    template_id: Option<Uuid>,
}

impl Form<'_> {
    async fn page(
        self,
        draft: Draft,
        errors: Vec<FieldError>,
        notice: Option<String>,
        shown_version: Option<i64>,
    ) -> Result<Response, PageError> {
        let Form { state, ctx, staff, service, channel, template_id } = self;
        let placeholders = template::template_placeholders(&draft.source(channel), &options(service));
        let samples = placeholders
            .iter()
            .enumerate()
            .map(|(i, name)| Sample {
                id: format!("sample-{i}"),
                field: format!("{SAMPLE_FIELD}{name}"),
                name: name.clone(),
                value: draft.sample(name).unwrap_or_default().to_string(),
            })
            .collect();
        let preview = preview(state, &ctx, service, channel, &draft, &placeholders);
        let (versions, pdf_link, preview_action) = match template_id {
            Some(tid) => {
                let versions = versions(state, &ctx, service, tid, shown_version).await?;
                let shown = shown_version.or_else(|| versions.first().map(|v| v.version)).unwrap_or(1);
                let preview_action = format!("/notify/services/{}/templates/{tid}/preview?version={shown}", service.id);
                (versions, pdf_link(service, channel, tid, shown), preview_action)
            }
            None => {
                let preview_action =
                    format!("/notify/services/{}/templates/new/preview?type={}", service.id, channel.as_str());
                (Vec::new(), None, preview_action)
            }
        };
        let heading = match template_id {
            Some(_) => ctx.t1("notify-template-edit-title", "name", &draft.name),
            None => ctx.t(&format!("notify-template-new-{}", channel.as_str())),
        };
        let action = match template_id {
            Some(tid) => format!("/notify/services/{}/templates/{tid}", service.id),
            None => format!("/notify/services/{}/templates/new?type={}", service.id, channel.as_str()),
        };
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let csp = if preview.html.is_some() { PREVIEW_CSP } else { FORM_CSP };
        let postages = POSTAGES.iter().map(|p| (*p, ctx.t(&format!("notify-postage-{p}")))).collect();
        let editor = Editor {
            postages,
            nav: Nav::new(service, staff, "templates"),
            ctx,
            channel: channel.as_str(),
            heading,
            action,
            draft,
            samples,
            errors,
            preview,
            preview_action,
            notice,
            versions,
            pdf_link,
        };
        let mut response = (status, render(&editor)).into_response();
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
        Ok(response)
    }

    /// Answer a posted form: a preview, a PDF, or a save followed by the saved template.
    async fn submit(self, draft: Draft, action: &str) -> Result<Response, PageError> {
        if action == "pdf" && self.channel == Channel::Letter {
            let placeholders = template::template_placeholders(&draft.source(self.channel), &options(self.service));
            let p = draft.personalisation(self.channel, &placeholders);
            let letter = template::Letter {
                subject: &draft.subject,
                content: &draft.content,
                personalisation: &p,
                contact_block: self.service.letter_contact_block.as_deref(),
                date: Timestamp::now().inner().date(),
                language: template::LetterLanguage::English,
            };
            return match template::letter_pdf(&letter) {
                Ok(pdf) => Ok(pdf_response(pdf)),
                Err(e) => {
                    let (message, lang) = render_error(&self.ctx, &e);
                    let error = FieldError { id: "template-content", message, lang };
                    self.page(draft, vec![error], None, None).await
                }
            };
        }
        if action != "save" {
            return self.page(draft, Vec::new(), None, None).await;
        }
        let errors = check(&self.ctx, self.channel, &draft);
        if !errors.is_empty() {
            return self.page(draft, errors, None, None).await;
        }
        let input = TemplateInput {
            channel: self.channel,
            name: &draft.name,
            subject: Some(&draft.subject),
            content: &draft.content,
            postage: (self.channel == Channel::Letter).then_some(draft.postage.as_str()),
        };
        let saved = self.state.notify.save_template(&self.staff.actor(), self.service, self.template_id, input).await;
        match saved {
            Ok((tid, version)) => {
                Ok(Redirect::to(&format!("/notify/services/{}/templates/{tid}?saved={version}", self.service.id))
                    .into_response())
            }
            Err(Error::Invalid { field, message }) => {
                let lang = self.ctx.english_unless_en();
                let id = match field.as_str() {
                    "name" => "template-name",
                    "subject" => "template-subject",
                    "postage" => "template-postage-first",
                    _ => "template-content",
                };
                self.page(draft, vec![FieldError { id, message, lang }], None, None).await
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The link to a saved letter's PDF (letters only).
fn pdf_link(service: &Service, channel: Channel, tid: Uuid, version: i64) -> Option<String> {
    (channel == Channel::Letter)
        .then(|| format!("/notify/services/{}/templates/{tid}/letter.pdf?version={version}", service.id))
}

fn options(service: &Service) -> RenderOptions<'_> {
    RenderOptions {
        sms_prefix: service.sms_prefix.then_some(service.name.as_str()),
        brand_name: Some(&service.name),
        letter_contact_block: service.letter_contact_block.as_deref(),
        ..Default::default()
    }
}

/// The checks of the service, in the visitor's language.
fn check(ctx: &PageCtx, channel: Channel, draft: &Draft) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut add = |id, message: &str| errors.push(FieldError { id, message: ctx.t(message), lang: None });
    if draft.name.trim().is_empty() {
        add("template-name", "notify-error-template-name");
    }
    if channel != Channel::Sms && draft.subject.trim().is_empty() {
        add("template-subject", "notify-error-template-subject");
    }
    if draft.content.trim().is_empty() {
        add("template-content", "notify-error-template-content");
    }
    if channel == Channel::Letter && !POSTAGES.contains(&draft.postage.as_str()) {
        add("template-postage-first", "notify-error-template-postage");
    }
    errors
}

fn preview(
    state: &PagesState,
    ctx: &PageCtx,
    service: &Service,
    channel: Channel,
    draft: &Draft,
    placeholders: &[String],
) -> Preview {
    let p = draft.personalisation(channel, placeholders);
    let rendered = match template::render(&draft.source(channel), &p, &options(service)) {
        Ok(r) => r,
        Err(e) => {
            let (error, error_lang) = render_error(ctx, &e);
            return Preview { error: Some(error), error_lang, ..Preview::default() };
        }
    };
    match channel {
        Channel::Email => Preview {
            from: Some(format!("{}@{}", service.email_from, state.notify.config().email_domain)),
            subject: rendered.subject,
            html: rendered.html,
            ..Preview::default()
        },
        Channel::Sms => {
            let info = rendered.sms.unwrap_or_else(|| template::sms_info(&rendered.text));
            let length = ctx.t_args(
                &plural(ctx.lang, "notify-sms-length", info.fragments as i64),
                &[("characters", info.characters.to_string()), ("fragments", info.fragments.to_string())],
            );
            Preview { text: Some(rendered.text), sms_length: Some(length), ..Preview::default() }
        }
        Channel::Letter => Preview {
            subject: rendered.subject.as_deref().map(unescape),
            text: Some(rendered.text),
            ..Preview::default()
        },
    }
}

/// Why the preview cannot be shown, in the visitor's language where the page knows the case.
fn render_error(ctx: &PageCtx, e: &RenderError) -> (String, Option<&'static str>) {
    let args = |limit: usize, length: usize| [("limit", limit.to_string()), ("length", length.to_string())];
    match e {
        RenderError::Empty => (ctx.t("notify-preview-empty"), None),
        RenderError::SmsTooLong { limit, length } => {
            (ctx.t_args("notify-preview-sms-too-long", &args(*limit, *length)), None)
        }
        RenderError::EmailTooLong { limit, length } => {
            (ctx.t_args("notify-preview-email-too-long", &args(*limit, *length)), None)
        }
        other => (other.to_string(), ctx.english_unless_en()),
    }
}

/// A letter's subject comes HTML-escaped (as Notify's API returns it); the page escapes again.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn versions(
    state: &PagesState,
    ctx: &PageCtx,
    service: &Service,
    tid: Uuid,
    shown: Option<i64>,
) -> Result<Vec<VersionRow>, PageError> {
    let members = state.kernel.members(service.org_id).await?;
    let list = store::template_versions(state.kernel.db(), service.id, tid).await?;
    let latest = list.first().map(|v| v.version);
    Ok(list
        .into_iter()
        .map(|v| {
            let by = members.iter().find(|m| format!("member:{}", m.id) == v.created_by).map(|m| m.name.clone());
            let by = by.unwrap_or_else(|| match v.created_by.split_once(':') {
                Some(("system", _)) => ctx.t("notify-by-system"),
                Some(("operator", _)) => ctx.t("notify-by-operator"),
                Some(("api-key", _)) => ctx.t("notify-by-api-key"),
                _ => v.created_by.clone(),
            });
            VersionRow {
                view: ctx.t1("notify-version-view", "version", &v.version.to_string()),
                shown: shown.or(latest) == Some(v.version),
                version: v.version,
                name: v.name,
                saved: When::to_minute(v.version_created_at),
                by,
            }
        })
        .collect())
}

fn pdf_response(pdf: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (header::CONTENT_DISPOSITION, "inline; filename=\"preview.pdf\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        pdf,
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct NewQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

fn channel_of(query: &NewQuery) -> Result<Channel, PageError> {
    query
        .kind
        .as_deref()
        .and_then(Channel::parse)
        .ok_or_else(|| PageError(Error::invalid("type", "choose the kind of template: email, sms or letter")))
}

pub(super) async fn new_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<NewQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let channel = channel_of(&query)?;
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: None };
    form.page(Draft { postage: "second".into(), ..Draft::default() }, Vec::new(), None, None).await
}

pub(super) async fn create(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<NewQuery>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let channel = channel_of(&query)?;
    let (draft, action) = Draft::from_form(fields);
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: None };
    form.submit(draft, &action).await
}

#[derive(Deserialize)]
pub(super) struct EditQuery {
    version: Option<i64>,
    saved: Option<i64>,
}

/// The template of the service, at a version or its latest; archived ones are not edited.
async fn stored(
    state: &PagesState,
    service: &Service,
    tid: Uuid,
    version: Option<i64>,
) -> Result<(TemplateVersion, Channel), PageError> {
    let t = store::template(state.kernel.db(), service.id, tid, version)
        .await?
        .filter(|t| !t.archived)
        .ok_or_else(|| PageError(Error::not_found("template")))?;
    let channel = Channel::parse(&t.kind).ok_or_else(|| PageError(Error::not_found("template")))?;
    Ok((t, channel))
}

pub(super) async fn edit_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((id, tid)): Path<(Uuid, Uuid)>,
    Query(query): Query<EditQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let (t, channel) = stored(&state, &service, tid, query.version).await?;
    let notice = match (query.saved, query.version) {
        (Some(v), _) => Some(ctx.t1("notify-template-saved", "version", &v.to_string())),
        (None, Some(v)) if v != t.latest_version => {
            Some(ctx.t1("notify-template-old-version", "version", &v.to_string()))
        }
        _ => None,
    };
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: Some(tid) };
    form.page(Draft::of(&t), Vec::new(), notice, Some(t.version)).await
}

pub(super) async fn update(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((id, tid)): Path<(Uuid, Uuid)>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let (_, channel) = stored(&state, &service, tid, None).await?;
    let (draft, action) = Draft::from_form(fields);
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: Some(tid) };
    form.submit(draft, &action).await
}

#[derive(Deserialize)]
pub(super) struct VersionQuery {
    version: Option<i64>,
}

/// A saved letter template as a PDF, rendered now with sample personalisation.
pub(super) async fn letter_pdf(
    Staff(_, staff): Staff,
    State(state): State<PagesState>,
    Path((id, tid)): Path<(Uuid, Uuid)>,
    Query(query): Query<VersionQuery>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let (t, channel) = stored(&state, &service, tid, query.version).await?;
    if channel != Channel::Letter {
        return Err(PageError(Error::not_found("letter template")));
    }
    let draft = Draft::of(&t);
    let p = draft.personalisation(channel, &crate::service::placeholders_of(&t));
    let letter = template::Letter {
        subject: &draft.subject,
        content: &draft.content,
        personalisation: &p,
        contact_block: t.letter_contact_block.as_deref(),
        date: Timestamp::now().inner().date(),
        language: template::LetterLanguage::English,
    };
    let pdf = template::letter_pdf(&letter).map_err(|e| Error::invalid("content", e.to_string()))?;
    Ok(pdf_response(pdf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_the_draft_the_button_and_the_samples() {
        let fields = vec![
            ("name".to_string(), "Reminder".to_string()),
            ("content".into(), "Hello ((name))".into()),
            ("p:name".into(), "Ada".into()),
            ("p:empty".into(), "  ".into()),
            ("action".into(), "save".into()),
            ("_csrf".into(), "token".into()),
        ];
        let (draft, action) = Draft::from_form(fields);
        assert_eq!(action, "save");
        assert_eq!(draft.name, "Reminder");
        assert_eq!(draft.postage, "second");
        assert_eq!(draft.sample("name"), Some("Ada"));
        assert_eq!(draft.sample("empty"), None, "a blank sample is no sample");
    }

    #[test]
    fn previews_fill_what_is_missing_and_letters_get_an_address() {
        let draft = Draft { samples: vec![("name".into(), "Ada".into())], ..Draft::default() };
        let names = vec!["name".to_string(), "reference".to_string(), "address_line_1".to_string()];
        let email = draft.personalisation(Channel::Email, &names);
        assert_eq!(email["name"], "Ada");
        assert_eq!(email["reference"], "((reference))");
        assert!(!email.contains_key("postcode"));
        let letter = draft.personalisation(Channel::Letter, &names);
        assert_eq!(letter["address_line_1"], "A. Citizen");
        assert_eq!(letter["postcode"], "DE1 2AB");
        assert!(template::postal_address(&letter).is_ok());
    }

    #[test]
    fn escaped_subjects_read_as_written() {
        assert_eq!(unescape("Tom &amp; Jerry &lt;3 &quot;hi&quot; it&#x27;s"), "Tom & Jerry <3 \"hi\" it's");
        assert_eq!(unescape("&amp;lt;"), "&lt;");
    }
}
