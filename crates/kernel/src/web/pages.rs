//! The kernel's pages: home, demo credentials, sign-in by login link, the language switch, the
//! back office for an organisation's members, API keys and audit log, and the API reference.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use uuid::Uuid;

use super::page::{LANG_COOKIE, PageCtx, PageError, SESSION_COOKIE, Staff, render};
use super::system::Docs;
use crate::Kernel;
use crate::audit::Entry;
use crate::domain::{Email, Roles};
use crate::i18n::Lang;
use crate::orgs::{ApiKey, Member};

pub(super) fn routes(kernel: Kernel, docs: Docs) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/demo", get(demo))
        .route("/signin", get(signin))
        .route("/signin/link/{token}", get(link_confirm).post(link_redeem))
        .route("/signout", post(signout))
        .route("/language", post(language))
        .route("/admin", get(admin))
        .route("/admin/members", get(members).post(add_member))
        .route("/admin/members/{id}/disable", post(disable_member))
        .route("/admin/api-keys", get(api_keys).post(create_api_key))
        .route("/admin/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/admin/audit", get(audit))
        .route("/docs/api", get(move |ctx: PageCtx| api_reference(ctx, docs.clone())))
        .with_state(kernel)
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    ctx: PageCtx,
}

async fn home(ctx: PageCtx) -> Response {
    render(&Home { ctx })
}

#[derive(Template)]
#[template(path = "demo.html")]
struct Demo {
    ctx: PageCtx,
    sections: Vec<(String, String)>,
}

async fn demo(ctx: PageCtx, State(kernel): State<Kernel>) -> Result<Response, PageError> {
    let Some(creds) = kernel.demo_credentials() else {
        return Err(PageError(crate::error::Error::not_found("the demo (start with `publica serve --demo`)")));
    };
    let sections = creds
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), serde_json::to_string_pretty(v).unwrap_or_default())).collect())
        .unwrap_or_default();
    Ok(render(&Demo { ctx, sections }))
}

#[derive(Template)]
#[template(path = "signin.html")]
struct Signin {
    ctx: PageCtx,
}

/// Staff sign in through the identity provider when it is served; the login link printed by
/// `publica admin login-link` stays as the operator's break-glass either way.
async fn signin(ctx: PageCtx, State(kernel): State<Kernel>) -> Response {
    if kernel.knows_block("identity") {
        return Redirect::to(STAFF_SIGN_IN).into_response();
    }
    render(&Signin { ctx })
}

/// Where the identity block signs staff in.
pub const STAFF_SIGN_IN: &str = "/identity/staff/sign-in";

#[derive(Template)]
#[template(path = "signin_confirm.html")]
struct SigninConfirm {
    ctx: PageCtx,
    token: String,
}

/// Showing the link does not spend it (mail scanners follow links); the button does.
async fn link_confirm(ctx: PageCtx, Path(token): Path<String>) -> Response {
    render(&SigninConfirm { ctx, token })
}

async fn link_redeem(
    State(kernel): State<Kernel>,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let session = match kernel.redeem_login_link(&token).await {
        Ok(session) => session,
        Err(crate::error::Error::Unauthenticated(_)) => {
            return Ok(super::page::translated_error(axum::http::StatusCode::UNAUTHORIZED, "error-login-link"));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((jar.add(staff_session_cookie(&kernel, &headers, session)), Redirect::to("/admin")).into_response())
}

/// The cookie that carries a staff session token from [`Kernel::start_staff_session`].
pub fn staff_session_cookie(kernel: &Kernel, headers: &axum::http::HeaderMap, token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(super::is_https(kernel, headers))
        .build()
}

async fn signout(Staff(_, staff): Staff, State(kernel): State<Kernel>, jar: CookieJar) -> Result<Response, PageError> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        kernel.end_session(cookie.value(), &staff).await?;
    }
    Ok((jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to("/")).into_response())
}

#[derive(Deserialize)]
struct LanguageForm {
    lang: String,
    next: Option<String>,
}

async fn language(
    State(kernel): State<Kernel>,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<LanguageForm>,
) -> Result<Response, PageError> {
    let lang = Lang::parse(&form.lang)
        .ok_or_else(|| crate::error::Error::invalid("lang", "choose one of the offered languages"))?;
    // Only come back to a path on this site.
    let next = form.next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/".into());
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .secure(super::is_https(&kernel, &headers))
        .max_age(time::Duration::days(365))
        .build();
    Ok((jar.add(cookie), Redirect::to(&next)).into_response())
}

#[derive(Template)]
#[template(path = "admin.html")]
struct Admin {
    ctx: PageCtx,
    staff: crate::sessions::StaffSession,
    roles: String,
    /// The blocks' staff pages: (label, path).
    links: Vec<(String, &'static str)>,
}

async fn admin(Staff(ctx, staff): Staff, State(kernel): State<Kernel>) -> Response {
    let roles = staff.roles.to_text();
    let links = kernel.staff_links().iter().map(|(id, path)| (ctx.t(id), *path)).collect();
    render(&Admin { ctx, staff, roles, links })
}

#[derive(Template)]
#[template(path = "members.html")]
struct Members {
    ctx: PageCtx,
    org_name: String,
    members: Vec<Member>,
    can_manage: bool,
    /// The member just added, to confirm it.
    added: Option<Member>,
}

#[derive(Deserialize)]
struct MembersQuery {
    added: Option<Uuid>,
}

async fn members(
    Staff(ctx, staff): Staff,
    State(kernel): State<Kernel>,
    Query(query): Query<MembersQuery>,
) -> Result<Response, PageError> {
    let members = kernel.members(staff.org_id).await?;
    let can_manage = staff.require("admin").is_ok();
    let added = query.added.and_then(|id| members.iter().find(|m| m.id == id).cloned());
    Ok(render(&Members { ctx, org_name: staff.org_name, members, can_manage, added }))
}

#[derive(Deserialize)]
struct MemberForm {
    email: String,
    name: String,
    roles: String,
}

async fn add_member(
    Staff(_, staff): Staff,
    State(kernel): State<Kernel>,
    axum::Form(form): axum::Form<MemberForm>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let email = Email::parse("email", &form.email)?;
    let roles: Vec<String> = form.roles.split([',', ' ']).filter(|r| !r.is_empty()).map(str::to_string).collect();
    let roles = Roles::parse_list("roles", &roles)?;
    let member = kernel.add_member(&staff.actor(), staff.org_id, &email, &form.name, &roles).await?;
    Ok(Redirect::to(&format!("/admin/members?added={}", member.id)).into_response())
}

async fn disable_member(
    Staff(_, staff): Staff,
    State(kernel): State<Kernel>,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    kernel.disable_member(&staff.actor(), staff.org_id, id).await?;
    Ok(Redirect::to("/admin/members").into_response())
}

#[derive(Template)]
#[template(path = "api_keys.html")]
struct ApiKeys {
    ctx: PageCtx,
    keys: Vec<ApiKey>,
    blocks: Vec<&'static str>,
    created: Option<(String, String)>,
}

async fn api_keys(Staff(ctx, staff): Staff, State(kernel): State<Kernel>) -> Result<Response, PageError> {
    staff.require("admin")?;
    let keys = kernel.api_keys(staff.org_id).await?;
    Ok(render(&ApiKeys { ctx, keys, blocks: kernel.block_names(), created: None }))
}

#[derive(Deserialize)]
struct ApiKeyForm {
    name: String,
    block: String,
}

/// The new token is shown on this response only; nothing can show it again.
async fn create_api_key(
    Staff(ctx, staff): Staff,
    State(kernel): State<Kernel>,
    axum::Form(form): axum::Form<ApiKeyForm>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let (key, token) = kernel.create_api_key(&staff.actor(), staff.org_id, &form.block, &form.name).await?;
    let keys = kernel.api_keys(staff.org_id).await?;
    let mut response = render(&ApiKeys { ctx, keys, blocks: kernel.block_names(), created: Some((key.name, token)) });
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

async fn revoke_api_key(
    Staff(_, staff): Staff,
    State(kernel): State<Kernel>,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    kernel.revoke_api_key(&staff.actor(), staff.org_id, id).await?;
    Ok(Redirect::to("/admin/api-keys").into_response())
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Audit {
    ctx: PageCtx,
    entries: Vec<Entry>,
}

async fn audit(Staff(ctx, staff): Staff, State(kernel): State<Kernel>) -> Result<Response, PageError> {
    staff.require("auditor").or_else(|_| staff.require("admin"))?;
    let entries = crate::audit::list(kernel.db(), Some(staff.org_id), None, 200).await?;
    Ok(render(&Audit { ctx, entries }))
}

/// One operation of an API, flattened from its OpenAPI document for the reference page.
struct Operation {
    method: String,
    path: String,
    summary: String,
    description: String,
    parameters: Vec<(String, String, bool, String)>,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_reference.html")]
struct ApiReference {
    ctx: PageCtx,
    apis: Vec<(String, String, Vec<Operation>)>,
}

async fn api_reference(ctx: PageCtx, docs: Docs) -> Response {
    let text = |v: &serde_json::Value, k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or_default().to_string();
    let apis = docs
        .get()
        .iter()
        .map(|(name, doc)| {
            let mut ops = Vec::new();
            for (path, item) in doc.get("paths").and_then(|p| p.as_object()).into_iter().flatten() {
                for (method, op) in item.as_object().into_iter().flatten() {
                    let parameters = op
                        .get("parameters")
                        .and_then(|p| p.as_array())
                        .into_iter()
                        .flatten()
                        .map(|p| {
                            (
                                text(p, "name"),
                                text(p, "in"),
                                p.get("required").and_then(|r| r.as_bool()).unwrap_or(false),
                                text(p, "description"),
                            )
                        })
                        .collect();
                    let responses = op
                        .get("responses")
                        .and_then(|r| r.as_object())
                        .into_iter()
                        .flatten()
                        .map(|(status, r)| (status.clone(), text(r, "description")))
                        .collect();
                    ops.push(Operation {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        summary: text(op, "summary"),
                        description: text(op, "description"),
                        parameters,
                        responses,
                    });
                }
            }
            let title = doc.get("info").map(|i| text(i, "title")).unwrap_or_default();
            (name.to_string(), title, ops)
        })
        .collect();
    render(&ApiReference { ctx, apis })
}
