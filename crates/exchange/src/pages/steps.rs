//! Lifecycle steps as the pages offer them: which steps the organisation may take now on an
//! agreement or a purpose (asked of the same rules the service applies), as buttons in lists
//! and as forms, with a reason where one is required or useful, on the detail pages.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::db::Timestamp;
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError};
use serde::Deserialize;

use super::FieldError;
use crate::domain::{Agreement, Purpose};
use crate::service::Caller;
use crate::service::agreements::{AgreementStep, next_agreement, party_for};
use crate::service::purposes::{PurposeStep, next_purpose};

/// Every agreement step, in the order the pages offer them.
const AGREEMENT_STEPS: [(&str, AgreementStep); 5] = [
    ("approve", AgreementStep::Approve),
    ("reject", AgreementStep::Reject),
    ("suspend", AgreementStep::Suspend),
    ("reactivate", AgreementStep::Reactivate),
    ("archive", AgreementStep::Archive),
];

/// Every purpose step, in the order the pages offer them.
const PURPOSE_STEPS: [(&str, PurposeStep); 4] = [
    ("approve", PurposeStep::Approve),
    ("suspend", PurposeStep::Suspend),
    ("activate", PurposeStep::Activate),
    ("archive", PurposeStep::Archive),
];

pub(crate) fn agreement_step(name: &str) -> Option<AgreementStep> {
    AGREEMENT_STEPS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

pub(crate) fn purpose_step(name: &str) -> Option<PurposeStep> {
    PURPOSE_STEPS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The names of the steps the caller's organisation may take on the agreement now.
pub(crate) fn agreement_steps(caller: &Caller, a: &Agreement) -> Vec<&'static str> {
    let now = Timestamp::now();
    AGREEMENT_STEPS
        .iter()
        .filter(|(_, step)| {
            let party = party_for(caller, a.provider_org, a.consumer_org, *step == AgreementStep::Archive);
            next_agreement(a, *step, party, now).is_ok()
        })
        .map(|(name, _)| *name)
        .collect()
}

/// The names of the steps the caller's organisation may take on the purpose now.
pub(crate) fn purpose_steps(caller: &Caller, p: &Purpose) -> Vec<&'static str> {
    let now = Timestamp::now();
    PURPOSE_STEPS
        .iter()
        .filter(|(_, step)| {
            let party = party_for(caller, p.provider_org, p.consumer_org, *step == PurposeStep::Archive);
            next_purpose(p, *step, party, now).is_ok()
        })
        .map(|(name, _)| *name)
        .collect()
}

/// Whether a step takes a reason, and whether it must.
fn reason_of(step: &str) -> (bool, bool) {
    match step {
        "reject" => (true, true),
        "suspend" | "archive" => (true, false),
        _ => (false, false),
    }
}

/// Whether the step cannot be taken without saying why.
pub(crate) fn reason_required(step: &str) -> bool {
    reason_of(step).1
}

/// What a step form sends.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct StepInput {
    #[serde(default)]
    pub reason: String,
}

/// A step in a list: a button, or a link to the form when it needs a reason.
pub(crate) struct RowStep {
    pub step: &'static str,
    pub label: String,
    pub needs_reason: bool,
}

pub(crate) fn row_steps(ctx: &PageCtx, steps: &[&'static str]) -> Vec<RowStep> {
    steps
        .iter()
        .map(|step| RowStep {
            step,
            label: ctx.t(&format!("exchange-step-{step}")),
            needs_reason: reason_required(step),
        })
        .collect()
}

/// A step's form on a detail page.
pub(crate) struct StepForm {
    pub step: &'static str,
    pub label: String,
    pub hint: String,
    pub has_reason: bool,
    pub reason_required: bool,
    /// The reason sent, when the form comes back with a problem.
    pub reason: String,
    pub error: Option<FieldError>,
}

impl StepForm {
    /// The `aria-describedby` of the reason: its hint and, when there is one, its error.
    pub fn described(&self) -> String {
        let mut ids = vec![format!("{}-hint", self.step)];
        if self.error.is_some() {
            ids.push(format!("{}-reason-error", self.step));
        }
        ids.join(" ")
    }
}

/// The forms of the steps allowed now; `kind` is `agreement` or `purpose` (for the hints).
/// A problem with a submitted step goes to its form, or to the actions heading when the step
/// is no longer offered.
pub(crate) fn forms(
    ctx: &PageCtx,
    kind: &str,
    steps: &[&'static str],
    submitted: Option<(&str, &StepInput)>,
    errors: &mut [FieldError],
) -> Vec<StepForm> {
    let forms: Vec<StepForm> = steps
        .iter()
        .map(|step| {
            let (has_reason, reason_required) = reason_of(step);
            let mine = submitted.filter(|(s, _)| s == step);
            let error = errors.iter().find(|e| e.id.starts_with(&format!("{step}-"))).cloned();
            StepForm {
                step,
                label: ctx.t(&format!("exchange-step-{step}")),
                hint: ctx.t(&format!("exchange-{kind}-hint-{step}")),
                has_reason,
                reason_required,
                reason: mine.map(|(_, input)| input.reason.clone()).unwrap_or_default(),
                error,
            }
        })
        .collect();
    for e in errors.iter_mut() {
        if !forms.iter().any(|f| e.id.starts_with(&format!("{}-", f.step))) {
            e.id = "actions-heading".into();
        }
    }
    forms
}

/// The id of the input a problem with `field` of a step is shown next to.
pub(crate) fn input_for(step: &str, field: &str) -> String {
    if field == "reason" && reason_of(step).0 { format!("{step}-reason") } else { format!("{step}-submit") }
}

/// How a detail page is shown: after a redirect with a confirmation, or again with the step
/// that was submitted and its problem.
pub(crate) struct Shown<'a> {
    pub notice: Option<String>,
    pub submitted: Option<(&'a str, &'a StepInput)>,
    pub errors: Vec<FieldError>,
    pub status: StatusCode,
}

impl<'a> Shown<'a> {
    pub fn plain(notice: Option<String>) -> Shown<'a> {
        Shown { notice, submitted: None, errors: Vec::new(), status: StatusCode::OK }
    }

    pub fn problem(step: &'a str, input: &'a StepInput, error: FieldError, status: StatusCode) -> Shown<'a> {
        Shown { notice: None, submitted: Some((step, input)), errors: vec![error], status }
    }
}

/// What the page does once the service has answered a step: `Ok(Ok(_))`, back to the detail
/// page at `detail` saying what was done; `Ok(Err(_))`, the detail page again with the
/// problem next to the step's form; `Err`, an error page.
pub(crate) fn outcome<'a, T>(
    ctx: &PageCtx,
    detail: &str,
    step: &'a str,
    input: &'a StepInput,
    answer: Result<T, Error>,
) -> Result<Result<Response, Shown<'a>>, PageError> {
    let (field, message, status) = match answer {
        Ok(_) => return Ok(Ok(Redirect::to(&format!("{detail}?done={step}")).into_response())),
        Err(Error::Invalid { field, message }) => (field, message, StatusCode::UNPROCESSABLE_ENTITY),
        Err(Error::Conflict(message)) => (String::new(), message, StatusCode::CONFLICT),
        Err(e) => return Err(PageError(e)),
    };
    let error = FieldError::service(ctx, &input_for(step, &field), message);
    Ok(Err(Shown::problem(step, input, error, status)))
}
