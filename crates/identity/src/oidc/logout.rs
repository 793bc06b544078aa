//! Logout. RP-initiated (OpenID Connect RP-Initiated Logout 1.0, `GET/POST /identity/logout`):
//! with an `id_token_hint` for this browser's session the session ends at once; otherwise the
//! person confirms with a button (a CSRF-checked form). A `post_logout_redirect_uri` must be
//! one the client registered, byte for byte; `state` goes back with it. Back-channel
//! (OpenID Connect Back-Channel Logout 1.0): when a session ends, every client it signed in to
//! that registered a `backchannel_logout_uri` receives a logout token, from the durable job
//! queue, retried until it answers. A logout request posted by a client reaches the page route
//! sealed, so that its `id_token_hint` never travels in a URL. The back-channel URI is checked
//! again when the token is sent: `https`, a host that resolves to public addresses only
//! (unless `identity.allow_local_logout_uris` or the demo), and the connection goes to exactly
//! the addresses checked.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::audit::Event;
use publica_kernel::crypto::b64url;
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::jobs::{JobContext, JobFailure, JobHandler, NewJob};
use publica_kernel::web::{Page, PageCtx, PageError, render};
use serde_json::{Value, json};
use uuid::Uuid;

use super::client::Client;
use super::error::no_store;
use super::pages::{Pages, allow_form_targets, error_page};
use super::request::{self, Params};
use super::store;
use crate::domain::SignedIn;
use crate::service::Identity;

/// The job kind that posts a logout token to a client.
pub const BACKCHANNEL_JOB: &str = "identity.backchannel_logout";

/// A checked logout request.
struct Logout {
    client: Option<Client>,
    /// The hint's `sub` and `sid`, when a valid `id_token_hint` came.
    hint: Option<(String, Option<String>)>,
    /// Where to go afterwards (with `state`).
    after: Option<String>,
}

fn text(params: &Params, name: &str) -> std::result::Result<Option<String>, String> {
    params.get(name).map(|v| v.map(str::to_string))
}

impl Identity {
    async fn check_logout(&self, params: &Params) -> std::result::Result<Logout, (&'static str, String)> {
        let bad = |e: String| ("oidc-error-logout", e);
        let hint_token = text(params, "id_token_hint").map_err(bad)?;
        let client_id = text(params, "client_id").map_err(bad)?;
        let post_logout = text(params, "post_logout_redirect_uri").map_err(bad)?;
        let state = text(params, "state").map_err(bad)?;
        let mut hint = None;
        let mut client_id = client_id;
        if let Some(token) = hint_token {
            let claims = self.verify_own(&token, Some("JWT")).map_err(|e| bad(format!("id_token_hint: {e}")))?;
            let aud = match claims.get("aud") {
                Some(Value::String(a)) => a.clone(),
                Some(Value::Array(list)) => list.first().and_then(Value::as_str).unwrap_or_default().to_string(),
                _ => return Err(bad("id_token_hint has no aud".into())),
            };
            if client_id.as_ref().is_some_and(|c| *c != aud) {
                return Err(bad("client_id differs from the id_token_hint's audience".into()));
            }
            client_id = Some(aud);
            let sub = claims.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
            let sid = claims.get("sid").and_then(Value::as_str).map(str::to_string);
            hint = Some((sub, sid));
        }
        let client = match &client_id {
            Some(id) => Some(
                self.client(id)
                    .await
                    .map_err(|_| ("oidc-error-unknown-client", format!("no client `{id}` is registered")))?,
            ),
            None => None,
        };
        let after = match post_logout {
            None => None,
            Some(uri) => {
                let Some(c) = &client else {
                    return Err((
                        "oidc-error-post-logout-uri",
                        "post_logout_redirect_uri needs id_token_hint or client_id".into(),
                    ));
                };
                if !c.post_logout_redirect_uris.contains(&uri) {
                    return Err((
                        "oidc-error-post-logout-uri",
                        format!("`{uri}` is not a post-logout redirect URI registered for this client"),
                    ));
                }
                Some(match &state {
                    Some(state) => request::with_query(&uri, &[("state", state)]),
                    None => uri,
                })
            }
        };
        Ok(Logout { client, hint, after })
    }

    /// Whether a hint names this session (by the client's `sid`, or its `sub` without one).
    fn hint_matches(&self, logout: &Logout, session: &SignedIn) -> bool {
        let (Some(client), Some((sub, sid))) = (&logout.client, &logout.hint) else { return false };
        match sid {
            Some(sid) => *sid == self.sid_for(&client.client_id, session.session_id),
            None => *sub == self.subject_for(client, session.account_id),
        }
    }

    /// End a browser session and tell the clients it signed in to.
    pub async fn log_out(&self, session: &SignedIn) -> Result<usize> {
        self.end_browser_session(session.session_id).await?;
        self.backchannel_logout(session.session_id).await
    }

    /// Queue a logout token for every client this session signed in to that registered a
    /// back-channel logout URI; forget the session's clients. Returns how many were queued.
    /// Accounts call it whenever a session ends (sign-out, sign out everywhere, timeout).
    pub async fn backchannel_logout(&self, session_id: Uuid) -> Result<usize> {
        let mut tx = self.kernel.db().begin().await?;
        let logins = store::people::take_logins(&mut tx, session_id).await?;
        let mut queued = 0;
        for login in &logins {
            let Some(stored) = store::clients::get(self.kernel.db(), &login.client_id).await? else { continue };
            if stored.client.backchannel_logout_uri.is_none() {
                continue;
            }
            let job = NewJob::new(
                BACKCHANNEL_JOB,
                format!("{session_id}:{}", login.client_id),
                json!({ "client_id": login.client_id, "sub": login.sub, "sid": login.sid }),
            );
            if self.kernel.enqueue(&mut tx, job).await?.is_some() {
                queued += 1;
            }
        }
        if let Some(first) = logins.first() {
            self.kernel
                .audit(
                    &mut tx,
                    Event::new(&super::flow::person(first.account_id), "identity.session.logged_out", "session", session_id)
                        .details(json!({ "clients": logins.iter().map(|l| &l.client_id).collect::<Vec<_>>(), "notified": queued })),
                )
                .await?;
        }
        tx.commit().await?;
        Ok(queued)
    }
}

#[derive(Template)]
#[template(path = "identity/oidc_logout.html", config = "templates/askama.toml")]
struct ConfirmPage {
    ctx: PageCtx,
    client_name: Option<String>,
    /// The request's parameters, carried to the confirmation.
    fields: Vec<(String, String)>,
}

fn signed_out(ctx: PageCtx) -> Response {
    let page = Page {
        title: ctx.t("oidc-logout-done-title"),
        paragraphs: vec![ctx.t("oidc-logout-done")],
        paragraphs_lang: None,
        ctx,
    };
    render(&page)
}

fn done(ctx: PageCtx, logout: &Logout) -> Response {
    let mut response = match &logout.after {
        Some(location) => Redirect::to(location).into_response(),
        None => signed_out(ctx),
    };
    no_store(&mut response);
    response
}

fn params_of(query: Option<String>) -> Params {
    Params(url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
}

const CARRIED: [&str; 5] = ["id_token_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales"];

/// `GET /identity/logout` (a page route).
pub(super) async fn get(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let mut params = params_of(q);
    if let Ok(Some(sealed)) = params.get(SEALED) {
        match identity.unseal_logout(sealed, Timestamp::now()) {
            Some(posted) => params = posted,
            None => return Ok(error_page(ctx, StatusCode::BAD_REQUEST, "oidc-error-logout-expired", None)),
        }
    }
    let lang = params
        .get("ui_locales")
        .ok()
        .flatten()
        .and_then(|l| l.split_whitespace().find_map(publica_kernel::i18n::Lang::parse));
    let ctx = super::pages::in_lang(ctx, lang);
    let logout = match identity.check_logout(&params).await {
        Ok(l) => l,
        Err((message, detail)) => return Ok(error_page(ctx, StatusCode::BAD_REQUEST, message, Some(detail))),
    };
    let Some(session) = identity.signed_in(&headers).await? else {
        return Ok(done(ctx, &logout));
    };
    if identity.hint_matches(&logout, &session) {
        identity.log_out(&session).await?;
        return Ok(done(ctx, &logout));
    }
    let fields = params.0.iter().filter(|(k, _)| CARRIED.contains(&k.as_str())).cloned().collect();
    let origins = logout.client.as_ref().map(|c| c.redirect_origins()).unwrap_or_default();
    let mut response = render(&ConfirmPage { ctx, client_name: logout.client.map(|c| c.name), fields });
    allow_form_targets(&mut response, &origins);
    no_store(&mut response);
    Ok(response)
}

/// `POST /identity/logout` (an API route: clients post it without Publica's CSRF token). The
/// browser sends no cookie with a post from another site (`SameSite=Lax`), so the page route
/// answers it: the parameters go there sealed (encrypted under a key derived from the master
/// key, for [`SEALED_SECONDS`]), so that an `id_token_hint` never appears in a URL, a log or
/// the browser's history.
pub(super) async fn post(State(identity): State<Arc<Identity>>, body: Bytes) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(&body).into_owned().filter(|(k, _)| CARRIED.contains(&k.as_str())).collect();
    let sealed = identity.seal_logout(&params, Timestamp::now());
    let mut response =
        Redirect::to(&format!("/identity/logout?{}", publica_kernel::web::form::query([(SEALED, sealed.as_str())])))
            .into_response();
    no_store(&mut response);
    response
}

/// The parameter that carries a posted logout request to the page route.
const SEALED: &str = "logout_request";
/// How long a sealed logout request is good for.
pub const SEALED_SECONDS: i64 = 300;
const SEAL_CONTEXT: &[u8] = b"publica-identity-logout-request-v1";

impl Identity {
    fn seal_logout(&self, params: &[(String, String)], now: Timestamp) -> String {
        let plain = json!({ "params": params, "exp": now.unix_seconds() + SEALED_SECONDS }).to_string();
        b64url(&self.kernel.keys().master().encrypt(SEAL_CONTEXT, plain.as_bytes()))
    }

    /// The parameters of a sealed logout request, unless it is forged or expired.
    fn unseal_logout(&self, sealed: &str, now: Timestamp) -> Option<Params> {
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sealed).ok()?;
        let plain = self.kernel.keys().master().decrypt(SEAL_CONTEXT, &bytes).ok()?;
        let value: Value = serde_json::from_slice(&plain).ok()?;
        if value.get("exp").and_then(Value::as_i64)? <= now.unix_seconds() {
            return None;
        }
        let params: Vec<(String, String)> = serde_json::from_value(value.get("params")?.clone()).ok()?;
        Some(Params(params))
    }
}

/// `POST /identity/logout/confirm` (a page route, CSRF-checked): the person confirmed.
pub(super) async fn confirm(
    State(pages): State<Pages>,
    ctx: PageCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let params = Params(
        url::form_urlencoded::parse(&body).into_owned().filter(|(k, _)| CARRIED.contains(&k.as_str())).collect(),
    );
    let logout = match identity.check_logout(&params).await {
        Ok(l) => l,
        Err((message, detail)) => return Ok(error_page(ctx, StatusCode::BAD_REQUEST, message, Some(detail))),
    };
    if let Some(session) = identity.signed_in(&headers).await? {
        identity.log_out(&session).await?;
    }
    Ok(done(ctx, &logout))
}

/// Posts a logout token to a client's back-channel logout URI.
pub struct BackchannelJob {
    identity: Arc<Identity>,
}

impl BackchannelJob {
    pub fn new(identity: Arc<Identity>) -> BackchannelJob {
        BackchannelJob { identity }
    }
}

/// Why a request to a client-supplied URI is not sent.
#[derive(Debug)]
pub enum Outbound {
    /// The URI or the addresses its host resolves to are not allowed: it will not change.
    Refused(String),
    /// The name did not resolve now: it may later.
    Unresolved(String),
}

impl Identity {
    /// Whether client URIs on this machine or a local network are allowed: the
    /// `identity.allow_local_logout_uris` setting, or the demo (`publica serve --demo`).
    pub fn allows_local_uris(&self) -> bool {
        self.config.allow_local_logout_uris || self.kernel.config().demo
    }

    /// The checks on a client's registration that depend on the installation and the network:
    /// its back-channel logout URI must be `https` and its host must not be, nor resolve to, a
    /// loopback or local address (unless local URIs are allowed). A name that does not resolve
    /// yet is accepted: it is checked again each time a logout token is sent. Registering and
    /// updating a client call it after [`super::client::check`].
    pub async fn check_client_urls(&self, checked: &super::client::Checked) -> Result<()> {
        let Some(uri) = &checked.backchannel_logout_uri else { return Ok(()) };
        match self.resolve_outbound(uri).await {
            Ok(_) | Err(Outbound::Unresolved(_)) => Ok(()),
            Err(Outbound::Refused(why)) => Err(Error::invalid("backchannel_logout_uri", why)),
        }
    }

    /// Check a client-supplied URI before the provider sends a request to it: the rules of
    /// [`super::client::check_outbound_uri`], then every address its host resolves to must be
    /// public (unless local URIs are allowed). Returns the URL, and the host with the addresses
    /// to connect to (the request must use exactly those, so that a second lookup, which could
    /// answer differently, never happens).
    pub async fn resolve_outbound(
        &self,
        uri: &str,
    ) -> std::result::Result<(url::Url, Option<(String, Vec<SocketAddr>)>), Outbound> {
        let allow_local = self.allows_local_uris();
        let url =
            super::client::check_outbound_uri("backchannel_logout_uri", uri, allow_local).map_err(|e| match e {
                Error::Invalid { message, .. } => Outbound::Refused(message),
                other => Outbound::Refused(other.to_string()),
            })?;
        let Some(url::Host::Domain(host)) = url.host() else { return Ok((url, None)) };
        let host = host.to_string();
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| Outbound::Unresolved(format!("`{host}` does not resolve: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(Outbound::Unresolved(format!("`{host}` resolves to no address")));
        }
        if !allow_local && let Some(bad) = addrs.iter().find(|a| !super::client::public_address(a.ip())) {
            return Err(Outbound::Refused(format!(
                "`{host}` resolves to {}, on this machine or a local network, which the provider does not call",
                bad.ip()
            )));
        }
        Ok((url, Some((host, addrs))))
    }
}

/// A client for one request to a checked URI: connecting only to the addresses checked, no
/// redirects, 10 seconds.
fn pinned_client(pinned: Option<&(String, Vec<SocketAddr>)>) -> reqwest::Result<reqwest::Client> {
    let mut builder =
        reqwest::Client::builder().timeout(Duration::from_secs(10)).redirect(reqwest::redirect::Policy::none());
    if let Some((host, addrs)) = pinned {
        builder = builder.resolve_to_addrs(host, addrs);
    }
    builder.build()
}

#[async_trait::async_trait]
impl JobHandler for BackchannelJob {
    fn kind(&self) -> &'static str {
        BACKCHANNEL_JOB
    }

    async fn run(&self, job: &JobContext) -> std::result::Result<(), JobFailure> {
        let field = |name: &str| job.payload.get(name).and_then(Value::as_str).map(str::to_string);
        let (Some(client_id), Some(sub), Some(sid)) = (field("client_id"), field("sub"), field("sid")) else {
            return Err(JobFailure::Permanent("bad payload: client_id, sub and sid expected".into()));
        };
        let identity = &self.identity;
        let client = match identity.client(&client_id).await {
            Ok(c) => c,
            Err(Error::NotFound(_)) => return Ok(()),
            Err(e) => return Err(JobFailure::Retry(e.to_string())),
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else { return Ok(()) };
        // Checked again now, and the connection pinned to the addresses checked: the name may
        // resolve elsewhere than when the client was registered (DNS rebinding).
        let (url, pinned) = match identity.resolve_outbound(&uri).await {
            Ok(target) => target,
            Err(Outbound::Refused(why)) => return Err(JobFailure::Permanent(format!("{uri} is not called: {why}"))),
            Err(Outbound::Unresolved(why)) => return Err(JobFailure::Retry(why)),
        };
        let http = pinned_client(pinned.as_ref()).map_err(|e| JobFailure::Retry(format!("HTTP client: {e}")))?;
        let token = identity
            .logout_token(&client, &sub, &sid, Timestamp::now().unix_seconds())
            .map_err(|e| JobFailure::Retry(e.to_string()))?;
        let body = publica_kernel::web::form::query([("logout_token", token.as_str())]);
        let send = http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cache-control", "no-store")
            .body(body)
            .send();
        let response = match tokio::time::timeout(Duration::from_secs(10), send).await {
            Err(_) => return Err(JobFailure::Retry(format!("{uri} did not answer within 10 s"))),
            Ok(Err(e)) => return Err(JobFailure::Retry(format!("{uri}: {e}"))),
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 429 {
            Err(JobFailure::Retry(format!("{uri} answered {status}")))
        } else {
            Err(JobFailure::Permanent(format!("{uri} refused the logout token: {status}")))
        }
    }
}
