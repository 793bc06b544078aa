//! The live preview of the template form: the preview alone, rendered by the same code as the
//! form's page from a posted form (with its CSRF token, checked like every form's), and the
//! script that fetches it as the form is edited. Without scripts, the form's own "Preview"
//! button asks for the whole page instead.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use uuid::Uuid;

use super::{Draft, Form, NewQuery, Preview, VersionQuery, channel_of, options, pdf_link, preview, stored};
use crate::domain::template;
use crate::pages::{PagesState, service_of};

/// The live preview's script, served from [`SCRIPT_PATH`].
const SCRIPT: &str = include_str!("../../assets/preview.js");
/// Where the form's page loads the script from (`template_edit.html` names it too).
pub(in crate::pages) const SCRIPT_PATH: &str = "/notify/assets/preview.js";

/// The preview on its own, as the live preview fetches it.
#[derive(Template)]
#[template(path = "notify/_template_preview.html")]
struct PreviewFragment {
    ctx: PageCtx,
    channel: &'static str,
    preview: Preview,
    pdf_link: Option<String>,
}

impl Form<'_> {
    /// The preview of a posted form on its own; `shown` is the saved version the form started
    /// from, for the link to its PDF.
    fn fragment(self, draft: &Draft, shown: Option<i64>) -> Response {
        let Form { state, ctx, service, channel, template_id, .. } = self;
        let placeholders = template::template_placeholders(&draft.source(channel), &options(service));
        let preview = preview(state, &ctx, service, channel, draft, &placeholders);
        let pdf_link = template_id.zip(shown).and_then(|(tid, version)| pdf_link(service, channel, tid, version));
        let mut response = render(&PreviewFragment { ctx, channel: channel.as_str(), preview, pdf_link });
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The preview of a new template's form, as it is being written.
pub(in crate::pages) async fn preview_new(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(id): Path<Uuid>,
    Query(query): Query<NewQuery>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let channel = channel_of(&query)?;
    let (draft, _) = Draft::from_form(fields);
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: None };
    Ok(form.fragment(&draft, None))
}

/// The preview of a saved template's form, as it is being edited from `version`.
pub(in crate::pages) async fn preview_edit(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((id, tid)): Path<(Uuid, Uuid)>,
    Query(query): Query<VersionQuery>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let service = service_of(&state, &staff, id).await?;
    staff.require("member")?;
    let (t, channel) = stored(&state, &service, tid, query.version).await?;
    let (draft, _) = Draft::from_form(fields);
    let form = Form { state: &state, ctx, staff: &staff, service: &service, channel, template_id: Some(tid) };
    Ok(form.fragment(&draft, Some(t.version)))
}

/// The live preview's script: cached for an hour, as the kernel's stylesheet is.
pub(in crate::pages) async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT,
    )
        .into_response()
}
