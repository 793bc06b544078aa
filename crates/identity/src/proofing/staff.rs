//! Staff sign-in through the identity provider: `GET /identity/staff/sign-in` (where the
//! kernel's `/signin` sends people) shows a signed-in staff account, at aal2 or above, which
//! organisation it enters, with a button; `POST` starts the kernel's back-office session for
//! the account's member and goes to `/admin`. Someone not signed in, or only at aal1, signs
//! in (again) first; an account that is not staff gets a clear refusal. The kernel's
//! `publica admin login-link` stays as the operator's break-glass.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use publica_kernel::web::{Page, PageCtx, PageError, STAFF_SIGN_IN, render, staff_session_cookie};
use serde_json::json;
use uuid::Uuid;

use super::pages::{PagesState, sign_in_redirect};
use crate::accounts::Origin;
use crate::domain::{Aal, SignedIn};
use crate::service::Identity;

/// Where a staff sign-in ends.
pub const BACK_OFFICE: &str = "/admin";

/// What the staff sign-in does for a browser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffDecision {
    /// Sign in (again) at aal2 first.
    SignIn,
    /// Signed in, but the account signs in as no member of an organisation.
    NotStaff,
    /// Continue as this kernel member.
    Continue(Uuid),
}

/// The decision for a browser's identity session and its account's member, if any.
pub fn staff_decision(signed_in: Option<&SignedIn>, member: Option<Uuid>) -> StaffDecision {
    match signed_in {
        Some(s) if s.aal >= Aal::Aal2 => member.map_or(StaffDecision::NotStaff, StaffDecision::Continue),
        _ => StaffDecision::SignIn,
    }
}

pub fn routes(identity: Arc<Identity>) -> Router {
    Router::new().route(STAFF_SIGN_IN, get(show).post(start)).with_state(PagesState { identity })
}

async fn decide(identity: &Identity, headers: &HeaderMap) -> Result<(StaffDecision, Option<SignedIn>), PageError> {
    let signed_in = identity.signed_in(headers).await?;
    let member = match &signed_in {
        Some(s) if s.aal >= Aal::Aal2 => identity.staff_member(s.account_id).await?,
        _ => None,
    };
    Ok((staff_decision(signed_in.as_ref(), member), signed_in))
}

#[derive(Template)]
#[template(path = "identity/staff_sign_in.html", config = "templates/askama.toml")]
struct ContinuePage {
    ctx: PageCtx,
    /// Who enters which organisation, in words.
    lead: String,
    email: String,
}

fn refused(ctx: PageCtx, text: &str) -> Response {
    let page = Page {
        title: ctx.t("identity-staff-refused-title"),
        paragraphs: vec![ctx.t(text), ctx.t("identity-staff-refused-ask")],
        paragraphs_lang: None,
        ctx,
    };
    (StatusCode::FORBIDDEN, render(&page)).into_response()
}

fn sign_in_first() -> Response {
    sign_in_redirect(STAFF_SIGN_IN, Some(Aal::Aal2.as_str()))
}

async fn show(ctx: PageCtx, State(state): State<PagesState>, headers: HeaderMap) -> Result<Response, PageError> {
    let identity = &state.identity;
    let member_id = match decide(identity, &headers).await?.0 {
        StaffDecision::SignIn => return Ok(sign_in_first()),
        StaffDecision::NotStaff => return Ok(refused(ctx, "identity-staff-not-staff")),
        StaffDecision::Continue(member_id) => member_id,
    };
    let member = identity.kernel.member(member_id).await?;
    if member.disabled_at.is_some() {
        return Ok(refused(ctx, "identity-staff-disabled"));
    }
    let organisation = identity.kernel.organisation(member.org_id).await?.name;
    let lead = ctx.t_args("identity-staff-lead", &[("name", member.name), ("organisation", organisation)]);
    Ok(render(&ContinuePage { ctx, lead, email: member.email }))
}

async fn start(
    ctx: PageCtx,
    State(state): State<PagesState>,
    headers: HeaderMap,
    origin: Origin,
    jar: CookieJar,
) -> Result<Response, PageError> {
    let identity = &state.identity;
    let (decision, signed_in) = decide(identity, &headers).await?;
    let (member_id, account_id) = match (decision, signed_in) {
        (StaffDecision::Continue(member_id), Some(s)) => (member_id, s.account_id),
        (StaffDecision::NotStaff, _) => return Ok(refused(ctx, "identity-staff-not-staff")),
        _ => return Ok(sign_in_first()),
    };
    let token = match identity.kernel.start_staff_session(member_id, "identity").await {
        Ok(token) => token,
        Err(publica_kernel::error::Error::Forbidden(_)) => return Ok(refused(ctx, "identity-staff-disabled")),
        Err(e) => return Err(e.into()),
    };
    let detail = json!({ "member_id": member_id });
    if let Err(e) = identity.record_activity(account_id, "staff.sign-in", detail, &origin).await {
        tracing::warn!(error = %e, account = %account_id, "the staff sign-in is not in the activity log");
    }
    let cookie = staff_session_cookie(&identity.kernel, &headers, token);
    Ok((jar.add(cookie), Redirect::to(BACK_OFFICE)).into_response())
}

#[cfg(test)]
mod tests {
    use publica_kernel::db::Timestamp;

    use super::*;
    use crate::domain::Ial;

    fn session(aal: Aal) -> SignedIn {
        SignedIn {
            session_id: Uuid::now_v7(),
            account_id: Uuid::now_v7(),
            auth_time: Timestamp::now(),
            aal,
            amr: vec!["pwd".into()],
            ial: Ial::None,
        }
    }

    #[test]
    fn staff_continue_only_at_aal2_with_a_member() {
        let member = Uuid::now_v7();
        assert_eq!(staff_decision(None, Some(member)), StaffDecision::SignIn);
        assert_eq!(staff_decision(Some(&session(Aal::Aal1)), Some(member)), StaffDecision::SignIn);
        assert_eq!(staff_decision(Some(&session(Aal::Aal2)), None), StaffDecision::NotStaff);
        assert_eq!(staff_decision(Some(&session(Aal::Aal2)), Some(member)), StaffDecision::Continue(member));
        assert_eq!(staff_decision(Some(&session(Aal::Aal3)), Some(member)), StaffDecision::Continue(member));
    }
}
