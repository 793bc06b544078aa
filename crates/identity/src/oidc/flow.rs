//! The authorization flow as service calls, without HTTP: start an interaction from a
//! request's parameters, then continue it with whoever is signed in until a code (or an error)
//! goes back to the client; the consent page's approval and refusal.
//!
//! Where the person is sent (all paths local):
//! - to sign in: `/identity/sign-in?return_to=/identity/authorize/continue/{i}` with `force=1`
//!   (authenticate again: `prompt=login`, `max_age`), `aal=aal2|aal3` (step-up), `login_hint`
//!   and `ui_locales` (the languages the client asked for, first supported one wins);
//! - to prove their identity: `/identity/proofing?return_to=/identity/authorize/continue/{i}`;
//! - to consent: `/identity/consent/{i}`.
//!
//! An `id_token_hint` must be an ID token Publica signed for the client; when it names another
//! person than the one signed in, the request is never answered silently for the wrong person.
//!
//! An interaction belongs to the browser that started it: starting one sets a short-lived
//! cookie ([`BROWSER_COOKIE`]) whose value's hash the interaction keeps, and continuing it or
//! answering its consent page without that cookie is refused ([`OTHER_BROWSER`]), so that a
//! leaked interaction link cannot be completed elsewhere.

use publica_kernel::audit::{Actor, Event};
use publica_kernel::crypto::{b64url, constant_time_eq, random_token, sha256};
use publica_kernel::db::Timestamp;
use publica_kernel::error::{Error, Result};
use publica_kernel::web::form::query;
use serde_json::json;
use uuid::Uuid;

use super::client::Client;
use super::decide::{Next, Progress, decide};
use super::levels::{self, Level};
use super::request::{self, ErrorRedirect, PAR_PREFIX, Params, Rejection, page};
use super::store::{self, Grant, flow::Interaction, people::Login};
use crate::accounts::Origin;
use crate::domain::SignedIn;
use crate::service::Identity;

/// How long a person has to sign in, step up and consent.
pub const INTERACTION_MINUTES: i64 = 30;

/// What starting an authorization gave.
#[derive(Debug)]
pub enum Started {
    /// A stored interaction, to continue.
    Interaction(String),
    Rejected(Rejection),
}

/// The path that continues an interaction.
pub fn continue_path(id: &str) -> String {
    format!("/identity/authorize/continue/{id}")
}

/// The actor of something a person did themselves.
pub fn person(account_id: Uuid) -> Actor {
    Actor(format!("account:{account_id}"))
}

/// The cookie that binds an interaction to the browser that started it: a random value,
/// whose SHA-256 the interaction keeps. Continuing an interaction, and answering its consent
/// page, need it.
pub const BROWSER_COOKIE: &str = "publica_oidc_browser";

/// The base64url SHA-256 of a browser cookie's value, as interactions keep it.
pub fn browser_hash(value: &str) -> String {
    b64url(&sha256(value.as_bytes()))
}

/// Why a continuation is refused when it comes from another browser than the one that
/// started the interaction.
pub const OTHER_BROWSER: &str = "this sign-in request was started in another browser";

/// A request object that cannot be used: back to the client when the query's redirect URI is
/// registered, on a page saying why otherwise.
fn object_rejection(params: &Params, client: &Client, problem: String) -> Rejection {
    match request::redirect_uri(params, client) {
        Ok(redirect_uri) => Rejection::Redirect(ErrorRedirect {
            redirect_uri,
            state: params.get("state").ok().flatten().map(str::to_string),
            error: "invalid_request_object",
            description: problem,
        }),
        Err(_) => page("oidc-error-bad-request", problem),
    }
}

impl Identity {
    /// Check an authorization request and store it as an interaction, bound to the browser
    /// that holds the cookie value `browser` (see [`BROWSER_COOKIE`]).
    pub async fn start_authorization(&self, mut params: Params, browser: &str) -> Result<Started> {
        let now = Timestamp::now();
        let rejected = |r: Rejection| Ok(Started::Rejected(r));
        let client_id = match params.get("client_id") {
            Err(e) => return rejected(page("oidc-error-bad-request", e)),
            Ok(None) => return rejected(page("oidc-error-no-client", "the request has no client_id")),
            Ok(Some(id)) => id.to_string(),
        };
        if let Ok(Some(uri)) = params.get("request_uri")
            && let Some(id) = uri.strip_prefix(PAR_PREFIX)
        {
            match store::flow::take_pushed(self.kernel.db(), id, now).await? {
                Some((owner, pushed)) if owner == client_id => params = Params(pushed),
                Some(_) => return rejected(page("oidc-error-pushed", "the request_uri belongs to another client")),
                None => return rejected(page("oidc-error-pushed", "the request_uri is unknown, used or expired")),
            }
        }
        let Some(stored) = store::clients::get(self.kernel.db(), &client_id).await? else {
            return rejected(page("oidc-error-unknown-client", format!("no client `{client_id}` is registered")));
        };
        let client = stored.client;
        if let Ok(Some(token)) = params.get("request") {
            // RFC 9101 §5: with a request object, only its parameters count.
            let object = match request::verify_request_object(token, &client, &self.issuer, now.unix_seconds()) {
                Ok(_) if params.get("request_uri").ok().flatten().is_some() => {
                    Err("send either request or request_uri, not both".to_string())
                }
                Ok(claims) => match params.from_request_object(&claims) {
                    Ok(inner) => self.spend_request_object(&client, &claims).await?.map(|()| inner),
                    Err(problem) => Err(problem),
                },
                Err(problem) => Err(problem),
            };
            match object {
                Ok(inner) => params = inner,
                Err(problem) => return rejected(object_rejection(&params, &client, problem)),
            }
        }
        if params.get("client_id").ok().flatten() != Some(client_id.as_str()) {
            return rejected(page("oidc-error-bad-request", "the request object names another client_id"));
        }
        let redirect_uri = match request::redirect_uri(&params, &client) {
            Ok(uri) => uri,
            Err(page) => return rejected(page),
        };
        let mut request = match request::check(&params, &client, redirect_uri, &self.config.acr) {
            Ok(r) => r,
            Err(e) => return rejected(Rejection::Redirect(e)),
        };
        let hint = params.get("id_token_hint").and_then(|h| h.map(|h| self.hinted_subject(h, &client)).transpose());
        match hint {
            Ok(sub) => request.hint_sub = sub,
            Err(description) => {
                return rejected(Rejection::Redirect(ErrorRedirect {
                    redirect_uri: request.redirect_uri,
                    state: request.state,
                    error: "invalid_request",
                    description,
                }));
            }
        }
        let id = random_token();
        let expires = now.plus(time::Duration::minutes(INTERACTION_MINUTES));
        let bound = browser_hash(browser);
        store::flow::insert_bound_interaction(self.kernel.db(), &id, &request, Some(&bound), now, expires).await?;
        Ok(Started::Interaction(id))
    }

    /// Spend a verified request object's `jti` (it works once, until its `exp`); the inner
    /// `Err` says why it cannot be used.
    pub(crate) async fn spend_request_object(
        &self,
        client: &Client,
        claims: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<std::result::Result<(), String>> {
        let Some((key, exp)) = request::request_object_use(claims) else {
            return Ok(Err("the request object needs a `jti` and an `exp`".into()));
        };
        let Ok(until) = time::OffsetDateTime::from_unix_timestamp(exp) else {
            return Ok(Err("the request object's `exp` is out of range".into()));
        };
        if store::tokens::use_assertion(self.kernel.db(), &client.client_id, &key, Timestamp::from(until)).await? {
            Ok(Ok(()))
        } else {
            Ok(Err("the request object was used already: sign a new one with a fresh jti".into()))
        }
    }

    /// The `sub` of an `id_token_hint`: an ID token this provider signed for this client
    /// (expired ones too, as OpenID Connect Core §3.1.2.1 allows).
    fn hinted_subject(&self, hint: &str, client: &Client) -> std::result::Result<String, String> {
        let claims = self.verify_own(hint, Some("JWT")).map_err(|e| format!("id_token_hint: {e}"))?;
        let for_client = match claims.get("aud") {
            Some(serde_json::Value::String(a)) => *a == client.client_id,
            Some(serde_json::Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client.client_id.as_str())),
            _ => false,
        };
        if !for_client {
            return Err("id_token_hint was issued to another client".into());
        }
        claims
            .get("sub")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| "id_token_hint has no sub".into())
    }

    /// A current interaction: known, not expired, not answered yet.
    pub async fn interaction(&self, id: &str) -> Result<Interaction> {
        let gone =
            || Error::not_found("this sign-in request (it has expired or was answered; start again from the service)");
        let interaction = store::flow::interaction(self.kernel.db(), id).await?.ok_or_else(gone)?;
        if interaction.completed_at.is_some() || interaction.expires_at <= Timestamp::now() {
            return Err(gone());
        }
        Ok(interaction)
    }

    /// A current interaction, for the browser that started it: `browser` is the value of its
    /// [`BROWSER_COOKIE`]. Another browser (or none) gets `Forbidden` ([`OTHER_BROWSER`]).
    pub async fn bound_interaction(&self, id: &str, browser: Option<&str>) -> Result<Interaction> {
        let interaction = self.interaction(id).await?;
        let same = match (&interaction.browser_hash, browser) {
            (Some(kept), Some(value)) => constant_time_eq(kept.as_bytes(), browser_hash(value).as_bytes()),
            _ => false,
        };
        if !same {
            return Err(Error::Forbidden(OTHER_BROWSER.into()));
        }
        Ok(interaction)
    }

    /// Where to send the browser next for an interaction, given who is signed in: a local
    /// path (sign-in, proofing, consent) or the client's redirect URI with a code or an error.
    /// `origin` is the browser's, for the person's activity log when a code is issued.
    /// `browser` is the value of the browser's [`BROWSER_COOKIE`]: only the browser that
    /// started the interaction continues it.
    pub async fn continue_authorization(
        &self,
        id: &str,
        session: Option<&SignedIn>,
        origin: &Origin,
        browser: Option<&str>,
    ) -> Result<String> {
        let interaction = self.bound_interaction(id, browser).await?;
        let client = self.client(&interaction.client_id).await?;
        let request = &interaction.request;
        let consent = match session {
            Some(s) => store::people::consent(self.kernel.db(), s.account_id, &client.client_id).await?,
            None => None,
        };
        let other_person = match (&request.hint_sub, session) {
            (Some(sub), Some(s)) => *sub != self.subject_for(&client, s.account_id),
            _ => false,
        };
        let progress = Progress {
            started_at: interaction.created_at,
            consented_by: interaction.consented_by,
            other_person_hinted: other_person,
        };
        let now = Timestamp::now();
        match decide(request, &progress, session, consent.as_ref(), now) {
            Next::SignIn { force, aal } => {
                let return_to = continue_path(id);
                let mut pairs: Vec<(&str, &str)> = vec![("return_to", &return_to)];
                if force {
                    pairs.push(("force", "1"));
                }
                if let Some(aal) = aal {
                    pairs.push(("aal", aal.as_str()));
                }
                if let Some(hint) = &request.login_hint {
                    pairs.push(("login_hint", hint));
                }
                if let Some(locales) = &request.ui_locales {
                    pairs.push(("ui_locales", locales));
                }
                Ok(format!("/identity/sign-in?{}", query(pairs)))
            }
            Next::Proofing => Ok(format!("/identity/proofing?{}", query([("return_to", continue_path(id))]))),
            Next::Consent => Ok(format!("/identity/consent/{id}")),
            Next::Fail { error, description } => {
                self.finish(&interaction).await?;
                Ok(self.error_location(request, error, description))
            }
            Next::Issue => {
                let session = session.ok_or_else(|| Error::internal("a code without a session"))?;
                self.issue_code(&interaction, &client, session, origin, now).await
            }
        }
    }

    fn error_location(&self, request: &request::AuthRequest, error: &'static str, description: String) -> String {
        let e = ErrorRedirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error,
            description,
        };
        request::error_location(&e, &self.issuer)
    }

    async fn finish(&self, interaction: &Interaction) -> Result<bool> {
        let mut tx = self.kernel.db().begin().await?;
        let done = store::flow::complete_interaction(&mut tx, &interaction.id, Timestamp::now()).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn issue_code(
        &self,
        interaction: &Interaction,
        client: &Client,
        session: &SignedIn,
        origin: &Origin,
        now: Timestamp,
    ) -> Result<String> {
        let request = &interaction.request;
        let level = Level { ial: session.ial, aal: session.aal };
        let grant = Grant {
            session_id: Some(session.session_id),
            scopes: request.scopes.clone(),
            claims: request.claims.clone(),
            nonce: request.nonce.clone(),
            acr: levels::achieved(&self.config.acr, &request.levels, level),
            vocabulary: request.levels.vocabulary,
            amr: session.amr.clone(),
            auth_time: session.auth_time.unix_seconds(),
        };
        let code = random_token();
        let hash = sha256(code.as_bytes());
        let login = Login {
            session_id: session.session_id,
            client_id: client.client_id.clone(),
            account_id: session.account_id,
            sub: self.subject_for(client, session.account_id),
            sid: self.sid_for(&client.client_id, session.session_id),
            created_at: now,
        };
        let mut tx = self.kernel.db().begin().await?;
        if !store::flow::complete_interaction(&mut tx, &interaction.id, now).await? {
            return Err(Error::Conflict("this sign-in request was answered already".into()));
        }
        let new = store::flow::NewCode {
            hash: &hash,
            grant_id: Uuid::now_v7(),
            client_id: &client.client_id,
            account_id: session.account_id,
            redirect_uri: &request.redirect_uri,
            code_challenge: request.code_challenge.as_deref(),
            grant: &grant,
            expires_at: now.plus(time::Duration::seconds(self.config.code_seconds)),
        };
        store::flow::insert_code(&mut tx, new, now).await?;
        store::people::record_login(&mut tx, &login).await?;
        tx.commit().await?;
        // The person sees in their activity log which service they signed in to, at which level.
        let detail =
            json!({ "client_id": client.client_id, "client": client.name, "acr": grant.acr, "scopes": grant.scopes });
        self.record_activity(session.account_id, "oidc.sign-in", detail, origin).await?;
        let mut pairs: Vec<(&str, &str)> = vec![("code", &code)];
        if let Some(state) = &request.state {
            pairs.push(("state", state));
        }
        pairs.push(("iss", &self.issuer));
        Ok(request::with_query(&request.redirect_uri, &pairs))
    }

    /// The consent page's approval: remember it (with what was consented before) and continue.
    pub async fn approve_consent(
        &self,
        id: &str,
        session: &SignedIn,
        origin: &Origin,
        browser: Option<&str>,
    ) -> Result<String> {
        let interaction = self.bound_interaction(id, browser).await?;
        let request = &interaction.request;
        let client_id = &interaction.client_id;
        let previous = store::people::consent(self.kernel.db(), session.account_id, client_id).await?;
        let mut scopes: Vec<String> = request.scopes.iter().filter(|s| *s != "openid").cloned().collect();
        let mut claims = request.requested_claims();
        if let Some(previous) = previous {
            scopes.extend(previous.scopes.into_iter().filter(|s| !request.scopes.contains(s)));
            claims.extend(previous.claims);
        }
        scopes.sort();
        scopes.dedup();
        claims.sort();
        claims.dedup();
        let now = Timestamp::now();
        let mut tx = self.kernel.db().begin().await?;
        store::people::save_consent(&mut tx, session.account_id, client_id, &scopes, &claims, now).await?;
        store::flow::set_consented(&mut tx, id, session.account_id).await?;
        let client = self.client(client_id).await?;
        self.kernel
            .audit(
                &mut tx,
                Event::new(&person(session.account_id), "identity.consent.granted", "oidc_client", client_id)
                    .org(client.org_id)
                    .details(json!({ "scopes": scopes, "claims": claims })),
            )
            .await?;
        tx.commit().await?;
        self.record_activity(
            session.account_id,
            "oidc.consent",
            json!({ "client_id": client_id, "client": client.name, "scopes": scopes }),
            origin,
        )
        .await?;
        self.continue_authorization(id, Some(session), origin, browser).await
    }

    /// The consent page's refusal: the client hears `access_denied`.
    pub async fn deny_consent(
        &self,
        id: &str,
        session: &SignedIn,
        origin: &Origin,
        browser: Option<&str>,
    ) -> Result<String> {
        let interaction = self.bound_interaction(id, browser).await?;
        self.finish(&interaction).await?;
        self.record_activity(
            session.account_id,
            "oidc.consent-refused",
            json!({ "client_id": interaction.client_id }),
            origin,
        )
        .await?;
        Ok(self.error_location(&interaction.request, "access_denied", "the person did not consent".into()))
    }
}
