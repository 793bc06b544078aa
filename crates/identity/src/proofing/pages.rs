//! `GET/POST /identity/proofing?return_to=…`: a signed-in person proves who they are. The page
//! says, before anything is sent, which register is consulted, by whom and why, and that the
//! read will be in the person's data-usage log; the answer never says which fact did not match.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRef, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use publica_kernel::Kernel;
use publica_kernel::web::form::query;
use publica_kernel::web::{PageCtx, PageError, When, render};
use serde::Deserialize;

use super::ProofingNotice;
use super::facts::{self, FactsInput};
use super::proof::ProofingOutcome;
use crate::accounts::Origin;
use crate::accounts::domain::{ACCOUNT_PAGE, local_path};
use crate::domain::{Aal, Ial};
use crate::service::Identity;

pub const PROOFING_PATH: &str = "/identity/proofing";

/// What the proofing and staff pages receive.
#[derive(Clone)]
pub struct PagesState {
    pub(super) identity: Arc<Identity>,
}

impl FromRef<PagesState> for Kernel {
    fn from_ref(state: &PagesState) -> Kernel {
        state.identity.kernel.clone()
    }
}

pub fn routes(identity: Arc<Identity>) -> Router {
    Router::new().route(PROOFING_PATH, get(show).post(submit)).with_state(PagesState { identity })
}

/// Where to go back to: a path on this site (see `accounts::domain::local_path`), else the
/// account page.
fn back_to(to: Option<&str>) -> String {
    to.and_then(local_path).unwrap_or_else(|| ACCOUNT_PAGE.to_string())
}

/// The sign-in page, coming back to `back` afterwards (with the minimum level, if any).
pub fn sign_in_redirect(back: &str, aal: Option<&str>) -> Response {
    let mut pairs = vec![("return_to", back)];
    if let Some(aal) = aal {
        pairs.push(("aal", aal));
    }
    Redirect::to(&format!("/identity/sign-in?{}", query(pairs))).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Back {
    return_to: Option<String>,
}

/// A problem shown next to a field and in the summary.
#[derive(Clone, Debug)]
struct FieldError {
    id: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "identity/proof_form.html", config = "templates/askama.toml")]
struct FormPage {
    ctx: PageCtx,
    notice: ProofingNotice,
    /// Who reads which register, in words.
    consulted: String,
    form: FactsInput,
    return_to: String,
    errors: Vec<FieldError>,
    /// What the register's answer means, when it is not about one field.
    outcome: Option<String>,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }

    /// The `aria-describedby` of an input: its hint and, when there is one, its error.
    fn described(&self, id: &str) -> String {
        let mut ids = vec![format!("{id}-hint")];
        if self.error(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }

    fn has_problems(&self) -> bool {
        !self.errors.is_empty() || self.outcome.is_some()
    }
}

#[derive(Template)]
#[template(path = "identity/proof_message.html", config = "templates/askama.toml")]
struct MessagePage {
    ctx: PageCtx,
    title: String,
    paragraphs: Vec<String>,
    /// A link onwards: where and what it says.
    link: Option<(String, String)>,
}

fn message(
    ctx: PageCtx,
    status: StatusCode,
    title: &str,
    paragraphs: &[String],
    link: Option<(String, String)>,
) -> Response {
    let page = MessagePage { title: ctx.t(title), paragraphs: paragraphs.to_vec(), link, ctx };
    (status, render(&page)).into_response()
}

/// Proofing cannot run now; `why` is logged for the operator (the attempt has logged it already
/// when there is none).
fn unavailable(ctx: PageCtx, why: Option<&str>) -> Response {
    if let Some(why) = why {
        tracing::warn!(reason = %why, "identity proofing is unavailable");
    }
    let text = vec![ctx.t("identity-proofing-unavailable-text"), ctx.t("identity-proofing-unavailable-later")];
    message(ctx, StatusCode::SERVICE_UNAVAILABLE, "identity-proofing-unavailable-title", &text, None)
}

fn already_verified(ctx: PageCtx, return_to: &str) -> Response {
    let text = vec![ctx.t("identity-proofing-verified-text")];
    let link = Some((return_to.to_string(), ctx.t("identity-proofing-continue")));
    message(ctx, StatusCode::OK, "identity-proofing-verified-title", &text, link)
}

fn form_page(
    ctx: PageCtx,
    notice: ProofingNotice,
    form: FactsInput,
    return_to: String,
    errors: Vec<FieldError>,
    outcome: Option<String>,
) -> Response {
    let consulted = ctx.t_args(
        "identity-proofing-consulted",
        &[
            ("operator", notice.operator.clone()),
            ("eservice", notice.eservice.clone()),
            ("provider", notice.provider.clone()),
        ],
    );
    let page = FormPage { ctx, notice, consulted, form, return_to, errors, outcome };
    let status = if page.has_problems() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    (status, render(&page)).into_response()
}

async fn show(
    ctx: PageCtx,
    State(state): State<PagesState>,
    headers: HeaderMap,
    Query(back): Query<Back>,
) -> Result<Response, PageError> {
    let return_to = back_to(back.return_to.as_deref());
    let identity = &state.identity;
    // Proofing binds a register identity to the account: only a sign-in with two factors may
    // do that, so that a stolen password alone cannot claim someone's identity.
    let Some(signed_in) = identity.signed_in(&headers).await?.filter(|s| s.aal >= Aal::Aal2) else {
        let back = format!("{PROOFING_PATH}?{}", query([("return_to", &return_to)]));
        return Ok(sign_in_redirect(&back, Some(Aal::Aal2.as_str())));
    };
    if signed_in.ial >= Ial::Verified {
        return Ok(already_verified(ctx, &return_to));
    }
    let response = match identity.proofing_notice().await? {
        Ok(notice) => form_page(ctx, notice, FactsInput::default(), return_to.clone(), Vec::new(), None),
        Err(why) => unavailable(ctx, Some(&why)),
    };
    Ok(identity.leading_to_client(&return_to, response).await)
}

/// What the form sends.
#[derive(Debug, Default, Deserialize)]
struct Submitted {
    #[serde(flatten)]
    facts: FactsInput,
    #[serde(default)]
    return_to: String,
}

async fn submit(
    ctx: PageCtx,
    State(state): State<PagesState>,
    headers: HeaderMap,
    origin: Origin,
    axum::Form(sent): axum::Form<Submitted>,
) -> Result<Response, PageError> {
    let return_to = back_to(Some(&sent.return_to));
    let identity = &state.identity;
    // Proofing binds a register identity to the account: only a sign-in with two factors may
    // do that, so that a stolen password alone cannot claim someone's identity.
    let Some(signed_in) = identity.signed_in(&headers).await?.filter(|s| s.aal >= Aal::Aal2) else {
        let back = format!("{PROOFING_PATH}?{}", query([("return_to", &return_to)]));
        return Ok(sign_in_redirect(&back, Some(Aal::Aal2.as_str())));
    };
    if signed_in.ial >= Ial::Verified {
        return Ok(already_verified(ctx, &return_to));
    }
    let account_id = signed_in.account_id;
    let notice = match identity.proofing_notice().await? {
        Ok(notice) => notice,
        Err(why) => return Ok(unavailable(ctx, Some(&why))),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let facts = match facts::check(&sent.facts, today) {
        Ok(facts) => facts,
        Err(problems) => {
            let errors =
                problems.iter().map(|p| FieldError { id: p.field, message: ctx.t(p.problem.message_id()) }).collect();
            let response = form_page(ctx, notice, sent.facts, return_to.clone(), errors, None);
            return Ok(identity.leading_to_client(&return_to, response).await);
        }
    };
    let outcome = identity.proof(account_id, &facts, &origin).await?;
    let back = return_to.clone();
    let response = match outcome {
        ProofingOutcome::Verified(_) => Redirect::to(&return_to).into_response(),
        ProofingOutcome::NoMatch { attempts_left } => {
            let mut text = ctx.t("identity-proofing-no-match");
            text.push(' ');
            text.push_str(&ctx.t1("identity-proofing-attempts-left", "count", &attempts_left.to_string()));
            form_page(ctx, notice, sent.facts, return_to, Vec::new(), Some(text))
        }
        ProofingOutcome::NotAlive => {
            let text = vec![ctx.t("identity-proofing-not-alive-text")];
            message(ctx, StatusCode::UNPROCESSABLE_ENTITY, "identity-proofing-refused-title", &text, None)
        }
        ProofingOutcome::AlreadyLinked => {
            let text = vec![ctx.t("identity-proofing-already-linked-text"), ctx.t("identity-proofing-contact")];
            message(ctx, StatusCode::CONFLICT, "identity-proofing-refused-title", &text, None)
        }
        ProofingOutcome::OtherIdentity => {
            let text = vec![ctx.t("identity-proofing-other-identity-text"), ctx.t("identity-proofing-contact")];
            message(ctx, StatusCode::CONFLICT, "identity-proofing-refused-title", &text, None)
        }
        ProofingOutcome::TooManyAttempts { retry_after } => {
            let when = When::to_minute(retry_after).text;
            let text = vec![ctx.t1("identity-proofing-too-many-text", "when", &when)];
            message(ctx, StatusCode::TOO_MANY_REQUESTS, "identity-proofing-too-many-title", &text, None)
        }
        ProofingOutcome::Unavailable => unavailable(ctx, None),
    };
    Ok(identity.leading_to_client(&back, response).await)
}
