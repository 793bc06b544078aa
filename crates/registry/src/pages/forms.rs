//! The forms of the organisation that keeps a register: add a record, record a change (valid
//! from a date), correct the latest version (with a reason) and delete a record (with a
//! reason). Record data is edited as JSON; a problem is shown next to the field at fault with
//! the JSON pointer of the record's field. A successful post redirects (303) to the record.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use serde_json::Value;

use super::fields::skeleton;
use super::{FieldError, PagesState, RegisterHead, reader, writer};
use crate::domain::{ChangeKind, Record, RegisterInfo};
use publica_kernel::web::form::{DayEnd, instant};

const DATA: &str = "record-data";
const VALID_FROM: &str = "record-valid-from";
const REASON: &str = "record-reason";

/// What a form does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Create,
    Change,
    Correct,
    Delete,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Change => "change",
            Action::Correct => "correct",
            Action::Delete => "delete",
        }
    }

    fn has_data(self) -> bool {
        self != Action::Delete
    }

    fn has_valid_from(self) -> bool {
        self != Action::Correct
    }

    fn has_reason(self) -> bool {
        matches!(self, Action::Correct | Action::Delete)
    }

    /// The input a problem with no field of its own is shown next to.
    fn first_input(self) -> &'static str {
        if self.has_data() { DATA } else { REASON }
    }
}

/// What the form holds.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct Fields {
    #[serde(default)]
    data: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "registry/form.html", config = "templates/askama.toml")]
struct FormPage {
    ctx: PageCtx,
    register: RegisterHead,
    crumbs: Vec<(String, String)>,
    action: &'static str,
    heading: String,
    lead: String,
    submit: String,
    post_to: String,
    back: String,
    has_data: bool,
    has_valid_from: bool,
    has_reason: bool,
    valid_from_hint: String,
    fields: Fields,
    errors: Vec<FieldError>,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The `aria-describedby` of an input: its hint and, when there is one, its error.
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

/// The form for `action` on a record (`id`) or a new one, with what it holds and its problems.
fn page(
    ctx: PageCtx,
    info: &RegisterInfo,
    id: Option<&str>,
    action: Action,
    fields: Fields,
    errors: Vec<FieldError>,
) -> Response {
    let record_path = id.map(|id| format!("/registry/{}/{id}", info.name));
    let register_path = format!("/registry/{}", info.name);
    let mut crumbs = vec![(register_path.clone(), info.title.clone())];
    if let (Some(id), Some(path)) = (id, &record_path) {
        crumbs.push((path.clone(), id.to_string()));
    }
    let heading = ctx.t(&format!("registry-{}-title", action.name()));
    crumbs.push((String::new(), heading.clone()));
    let lead = match id {
        Some(id) => ctx.t_args(&format!("registry-{}-lead", action.name()), &[("id", id.to_string())]),
        None => ctx.t1("registry-create-lead", "register", &info.title),
    };
    let page = FormPage {
        register: RegisterHead::of(info),
        crumbs,
        action: action.name(),
        heading,
        lead,
        submit: ctx.t(&format!("registry-{}-submit", action.name())),
        post_to: match &record_path {
            Some(path) => format!("{path}/{}", action.name()),
            None => format!("{register_path}/new"),
        },
        back: record_path.unwrap_or(register_path),
        has_data: action.has_data(),
        has_valid_from: action.has_valid_from(),
        has_reason: action.has_reason(),
        valid_from_hint: match action {
            Action::Create => ctx.t("registry-valid-from-hint-create"),
            Action::Change => ctx.t("registry-valid-from-hint-change"),
            Action::Delete => ctx.t("registry-valid-from-hint-delete"),
            Action::Correct => String::new(),
        },
        fields,
        errors,
        ctx,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, render(&page)).into_response()
}

/// The register, if the staff member may write to it.
async fn writable(state: &PagesState, staff: &StaffSession, name: &str) -> Result<RegisterInfo, PageError> {
    reader(staff)?;
    let info = state.registry.register(name).await?;
    writer(&info, staff)?;
    Ok(info)
}

/// The latest version of a record, which changes, corrections and deletions start from.
async fn head(state: &PagesState, info: &RegisterInfo, id: &str) -> Result<Record, PageError> {
    let history = state.registry.history(&info.name, id).await?;
    let head = history
        .into_iter()
        .rev()
        .find(|r| r.superseded_at.is_none() && r.valid_to.is_none())
        .ok_or_else(|| PageError(Error::not_found(format!("{} record {id}", info.name))))?;
    if head.kind == ChangeKind::Deleted {
        return Err(PageError(Error::Conflict(format!("{} record {id} is deleted", info.name))));
    }
    Ok(head)
}

fn pretty(data: &Value) -> String {
    serde_json::to_string_pretty(data).unwrap_or_default()
}

/// A problem found before the register is asked, in the page's language.
fn local(id: &str, message: String) -> FieldError {
    FieldError { id: id.into(), pointer: None, message, lang: None }
}

/// The form's values, checked: the record data (for forms with data) and the start of validity.
fn checked(ctx: &PageCtx, action: Action, fields: &Fields) -> Result<(Value, Option<Timestamp>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut data = Value::Null;
    if action.has_data() {
        if fields.data.trim().is_empty() {
            errors.push(local(DATA, ctx.t("registry-error-data-empty")));
        } else {
            match serde_json::from_str::<Value>(&fields.data) {
                Ok(value) => data = value,
                Err(e) => {
                    let args = [("line", e.line().to_string()), ("column", e.column().to_string())];
                    errors.push(local(DATA, ctx.t_args("registry-error-json", &args)));
                }
            }
        }
    }
    let mut valid_from = None;
    if action.has_valid_from() {
        match instant(&fields.valid_from, DayEnd::Start) {
            Ok(t) => valid_from = t,
            Err(()) => errors.push(local(VALID_FROM, ctx.t("registry-error-date"))),
        }
    }
    if action.has_reason() && fields.reason.trim().is_empty() {
        errors.push(local(REASON, ctx.t("registry-error-reason")));
    }
    if errors.is_empty() { Ok((data, valid_from)) } else { Err(errors) }
}

/// The register's refusal shown next to the field at fault; other errors become error pages.
fn refused(ctx: &PageCtx, action: Action, error: Error) -> Result<FieldError, PageError> {
    let lang = ctx.english_unless_en();
    match error {
        Error::Invalid { field, message } => {
            let (id, pointer) = match field.as_str() {
                "valid_from" if action.has_valid_from() => (VALID_FROM, None),
                "reason" if action.has_reason() => (REASON, None),
                "data" => (DATA, None),
                _ => (action.first_input(), Some(field)),
            };
            Ok(FieldError { id: id.into(), pointer, message, lang })
        }
        Error::Conflict(message) => Ok(FieldError { id: action.first_input().into(), pointer: None, message, lang }),
        other => Err(PageError(other)),
    }
}

/// Run the action; on success, where to go next.
async fn apply(
    state: &PagesState,
    staff: &StaffSession,
    info: &RegisterInfo,
    id: Option<&str>,
    action: Action,
    fields: &Fields,
    (data, valid_from): (Value, Option<Timestamp>),
) -> Result<String, Error> {
    let (actor, org, registry) = (staff.actor(), staff.org_id, &state.registry);
    let reason = fields.reason.trim();
    let id = match (action, id) {
        (Action::Create, _) => registry.create(&actor, org, &info.name, data, valid_from).await?.id,
        (Action::Change, Some(id)) => registry.change(&actor, org, &info.name, id, data, valid_from).await?.id,
        (Action::Correct, Some(id)) => registry.correct(&actor, org, &info.name, id, data, reason).await?.id,
        (Action::Delete, Some(id)) => {
            registry.delete(&actor, org, &info.name, id, reason, valid_from).await?;
            id.to_string()
        }
        (_, None) => return Err(Error::not_found("record")),
    };
    let done = match action {
        Action::Create => "created",
        Action::Change => "changed",
        Action::Correct => "corrected",
        Action::Delete => "deleted",
    };
    Ok(format!("/registry/{}/{id}?done={done}", info.name))
}

async fn submit(
    state: PagesState,
    ctx: PageCtx,
    staff: StaffSession,
    name: &str,
    id: Option<&str>,
    action: Action,
    fields: Fields,
) -> Result<Response, PageError> {
    let info = writable(&state, &staff, name).await?;
    if let Some(id) = id {
        head(&state, &info, id).await?;
    }
    let values = match checked(&ctx, action, &fields) {
        Ok(values) => values,
        Err(errors) => return Ok(page(ctx, &info, id, action, fields, errors)),
    };
    match apply(&state, &staff, &info, id, action, &fields, values).await {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(e) => {
            let error = refused(&ctx, action, e)?;
            Ok(page(ctx, &info, id, action, fields, vec![error]))
        }
    }
}

/// The form for an action on an existing record, prefilled with its latest data.
async fn record_form(
    state: PagesState,
    ctx: PageCtx,
    staff: StaffSession,
    name: &str,
    id: &str,
    action: Action,
) -> Result<Response, PageError> {
    let info = writable(&state, &staff, name).await?;
    let head = head(&state, &info, id).await?;
    let fields =
        Fields { data: if action.has_data() { pretty(&head.data) } else { String::new() }, ..Fields::default() };
    Ok(page(ctx, &info, Some(id), action, fields, Vec::new()))
}

pub(super) async fn create_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let info = writable(&state, &staff, &name).await?;
    let fields = Fields { data: pretty(&skeleton(&info.schema)), ..Fields::default() };
    Ok(page(ctx, &info, None, Action::Create, fields, Vec::new()))
}

pub(super) async fn create(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path(name): Path<String>,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    submit(state, ctx, staff, &name, None, Action::Create, fields).await
}

pub(super) async fn change_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    record_form(state, ctx, staff, &name, &id, Action::Change).await
}

pub(super) async fn change(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    submit(state, ctx, staff, &name, Some(&id), Action::Change, fields).await
}

pub(super) async fn correct_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    record_form(state, ctx, staff, &name, &id, Action::Correct).await
}

pub(super) async fn correct(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    submit(state, ctx, staff, &name, Some(&id), Action::Correct, fields).await
}

pub(super) async fn delete_form(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    record_form(state, ctx, staff, &name, &id, Action::Delete).await
}

pub(super) async fn delete(
    Staff(ctx, staff): Staff,
    State(state): State<PagesState>,
    Path((name, id)): Path<(String, String)>,
    axum::Form(fields): axum::Form<Fields>,
) -> Result<Response, PageError> {
    submit(state, ctx, staff, &name, Some(&id), Action::Delete, fields).await
}
