//! Staff pages for the clients of their organisation (`/identity/clients`): the list, the
//! registration and edit form, the secret shown once (on registration and rotation), and
//! deletion. Viewing needs the `member` role, changes the `admin` role; the platform
//! operator's admins manage every organisation's clients.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::domain::OrgKind;
use publica_kernel::error::Error;
use publica_kernel::sessions::StaffSession;
use publica_kernel::web::{PageCtx, PageError, Staff, render};
use serde::Deserialize;
use uuid::Uuid;

use super::client::{AuthMethod, Client, ClientSettings, GrantType, NewClient, SCOPES, Simulate};
use super::clients::Manager;
use super::levels;
use super::pages::Pages;

fn manager(staff: &StaffSession) -> Manager {
    let platform = staff.org_kind == OrgKind::Platform && staff.require("admin").is_ok();
    Manager { actor: staff.actor(), org_id: Some(staff.org_id), platform }
}

/// A problem with a field of the form.
#[derive(Clone, Debug)]
pub struct FieldError {
    pub id: String,
    pub message: String,
    pub lang: Option<&'static str>,
}

/// What the form sends (and shows again with its problems).
#[derive(Clone, Debug, Default)]
pub struct ClientForm {
    pub org_id: String,
    pub name: String,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: String,
    pub auth_method: String,
    pub jwks: String,
    pub id_token_alg: String,
    pub userinfo_alg: String,
    pub subject_type: String,
    pub scopes: Vec<String>,
    pub offline_access: bool,
    pub default_acr: String,
    pub grant_types: Vec<String>,
    pub simulate: String,
    /// Resource servers the client may name as the audience of its access tokens, one a line.
    pub resources: String,
}

impl ClientForm {
    fn parse(body: &[u8]) -> ClientForm {
        let mut f = ClientForm::default();
        for (k, v) in url::form_urlencoded::parse(body).into_owned() {
            match k.as_str() {
                "org_id" => f.org_id = v,
                "name" => f.name = v,
                "redirect_uris" => f.redirect_uris = v,
                "post_logout_redirect_uris" => f.post_logout_redirect_uris = v,
                "backchannel_logout_uri" => f.backchannel_logout_uri = v,
                "token_endpoint_auth_method" => f.auth_method = v,
                "jwks" => f.jwks = v,
                "id_token_signed_response_alg" => f.id_token_alg = v,
                "userinfo_signed_response_alg" => f.userinfo_alg = v,
                "subject_type" => f.subject_type = v,
                "scopes" => f.scopes.push(v),
                "offline_access" => f.offline_access = v == "on" || v == "true",
                "default_acr" => f.default_acr = v,
                "grant_types" => f.grant_types.push(v),
                "simulate" => f.simulate = v,
                "resources" => f.resources = v,
                _ => {}
            }
        }
        f
    }

    fn of(client: &Client, resources: &[String]) -> ClientForm {
        ClientForm {
            org_id: client.org_id.to_string(),
            name: client.name.clone(),
            redirect_uris: client.redirect_uris.join("\n"),
            post_logout_redirect_uris: client.post_logout_redirect_uris.join("\n"),
            backchannel_logout_uri: client.backchannel_logout_uri.clone().unwrap_or_default(),
            auth_method: client.token_endpoint_auth_method.as_str().into(),
            jwks: client.jwks.as_ref().and_then(|j| serde_json::to_string_pretty(j).ok()).unwrap_or_default(),
            id_token_alg: client.id_token_signed_response_alg.as_str().into(),
            userinfo_alg: client.userinfo_signed_response_alg.map(|a| a.as_str().to_string()).unwrap_or_default(),
            subject_type: client.subject_type.as_str().into(),
            scopes: client.scopes.clone(),
            offline_access: client.offline_access,
            default_acr: client.default_acr.clone().unwrap_or_default(),
            grant_types: client.grant_types.iter().map(|g| g.as_str().to_string()).collect(),
            simulate: client.simulate.as_str().into(),
            resources: resources.join("\n"),
        }
    }

    fn fresh() -> ClientForm {
        ClientForm {
            auth_method: "client_secret_basic".into(),
            id_token_alg: "RS256".into(),
            subject_type: "pairwise".into(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            grant_types: vec!["authorization_code".into()],
            simulate: "none".into(),
            ..ClientForm::default()
        }
    }

    /// The registered resources, one a line.
    fn resources(&self) -> Vec<String> {
        lines(&self.resources)
    }

    /// The settings, or the page's own problem (the key set is not JSON).
    fn settings(&self, ctx: &PageCtx) -> Result<ClientSettings, FieldError> {
        let opt = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        let jwks = match self.jwks.trim() {
            "" => None,
            text => Some(serde_json::from_str(text).map_err(|_| FieldError {
                id: "client-jwks".into(),
                message: ctx.t("oidc-clients-error-jwks"),
                lang: None,
            })?),
        };
        Ok(ClientSettings {
            name: self.name.clone(),
            redirect_uris: lines(&self.redirect_uris),
            post_logout_redirect_uris: lines(&self.post_logout_redirect_uris),
            backchannel_logout_uri: opt(&self.backchannel_logout_uri),
            token_endpoint_auth_method: opt(&self.auth_method),
            jwks,
            id_token_signed_response_alg: opt(&self.id_token_alg),
            userinfo_signed_response_alg: opt(&self.userinfo_alg),
            subject_type: opt(&self.subject_type),
            scopes: Some(self.scopes.clone()),
            offline_access: self.offline_access,
            default_acr: opt(&self.default_acr),
            grant_types: Some(self.grant_types.clone()),
            simulate: opt(&self.simulate),
        })
    }
}

/// The non-empty lines of a text area, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// The input a service complaint about `field` belongs to.
fn input_of(field: &str) -> &'static str {
    let base = field.split(['/', '[']).next().unwrap_or(field);
    match base {
        "redirect_uris" => "client-redirect-uris",
        "post_logout_redirect_uris" => "client-post-logout",
        "backchannel_logout_uri" => "client-backchannel",
        "token_endpoint_auth_method" | "client_secret" => "client-auth-method",
        "jwks" => "client-jwks",
        "id_token_signed_response_alg" => "client-id-token-alg",
        "userinfo_signed_response_alg" => "client-userinfo-alg",
        "subject_type" => "client-subject-type",
        "scopes" => "client-scopes",
        "default_acr" => "client-default-acr",
        "grant_types" => "client-grant-types",
        "simulate" => "client-simulate",
        "org_id" => "client-org",
        "resources" => "client-resources",
        _ => "client-name",
    }
}

#[derive(Template)]
#[template(path = "identity/oidc_clients.html", config = "templates/askama.toml")]
struct ListPage {
    ctx: PageCtx,
    clients: Vec<Client>,
    can_manage: bool,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct Done {
    #[serde(default)]
    done: String,
}

pub(super) async fn list(
    Staff(ctx, staff): Staff,
    State(pages): State<Pages>,
    Query(done): Query<Done>,
) -> Result<Response, PageError> {
    staff.require("member").or_else(|_| staff.require("admin"))?;
    let clients = pages.identity.clients(&manager(&staff)).await?;
    let notice = ["updated", "deleted"]
        .contains(&done.done.as_str())
        .then(|| ctx.t(&format!("oidc-clients-done-{}", done.done)));
    Ok(render(&ListPage { ctx, clients, can_manage: staff.require("admin").is_ok(), notice }))
}

#[derive(Template)]
#[template(path = "identity/oidc_client_form.html", config = "templates/askama.toml")]
struct FormPage {
    ctx: PageCtx,
    /// The client edited, or `None` for a registration.
    client_id: Option<String>,
    form: ClientForm,
    errors: Vec<FieldError>,
    /// For the platform operator: the organisations to register for.
    orgs: Vec<(Uuid, String)>,
    public_allowed: bool,
    methods: Vec<&'static str>,
    algs: Vec<&'static str>,
    scopes: Vec<&'static str>,
    grants: Vec<&'static str>,
    simulations: Vec<&'static str>,
    acr_values: Vec<String>,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&FieldError> {
        self.errors.iter().find(|e| e.id == id)
    }
    /// `aria-describedby`: the hint, and the error when there is one.
    fn described(&self, id: &str) -> String {
        let mut ids = vec![format!("{id}-hint")];
        if self.error(id).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
    fn has_scope(&self, scope: &str) -> bool {
        self.form.scopes.iter().any(|s| s == scope)
    }
    fn simulate_label(&self, setting: &str) -> String {
        self.ctx.t(&format!("oidc-simulate-{setting}"))
    }
    fn has_grant(&self, grant: &str) -> bool {
        self.form.grant_types.iter().any(|g| g == grant)
    }
}

async fn form_page(
    pages: &Pages,
    ctx: PageCtx,
    staff: &StaffSession,
    client_id: Option<String>,
    form: ClientForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let by = manager(staff);
    let orgs = if by.platform && client_id.is_none() {
        pages.kernel.organisations().await?.into_iter().map(|o| (o.id, o.name)).collect()
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage {
        ctx,
        client_id,
        form,
        errors,
        orgs,
        public_allowed: by.platform,
        methods: AuthMethod::ALL.iter().map(|m| m.as_str()).collect(),
        algs: vec!["RS256", "ES256", "EdDSA"],
        scopes: SCOPES.iter().copied().filter(|s| *s != "openid" && *s != "offline_access").collect(),
        grants: GrantType::ALL.iter().map(|g| g.as_str()).collect(),
        simulations: Simulate::ALL.iter().map(|s| s.as_str()).collect(),
        acr_values: levels::acr_values(&pages.identity.config().acr),
    };
    Ok((status, render(&page)).into_response())
}

pub(super) async fn new(Staff(ctx, staff): Staff, State(pages): State<Pages>) -> Result<Response, PageError> {
    staff.require("admin")?;
    form_page(&pages, ctx, &staff, None, ClientForm::fresh(), Vec::new()).await
}

fn field_errors(ctx: &PageCtx, e: Error) -> Result<Vec<FieldError>, PageError> {
    match e {
        Error::Invalid { field, message } => Ok(vec![FieldError {
            id: input_of(&field).into(),
            message: format!("{field}: {message}"),
            lang: ctx.english_unless_en(),
        }]),
        Error::Conflict(message) => {
            Ok(vec![FieldError { id: "client-name".into(), message, lang: ctx.english_unless_en() }])
        }
        other => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "identity/oidc_client_secret.html", config = "templates/askama.toml")]
struct SecretPage {
    ctx: PageCtx,
    client: Client,
    secret: Option<String>,
    registered: bool,
}

fn secret_page(page: SecretPage) -> Response {
    let mut response = render(&page);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) async fn create(
    Staff(ctx, staff): Staff,
    State(pages): State<Pages>,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let form = ClientForm::parse(&body);
    let by = manager(&staff);
    let org_id = if by.platform { Uuid::try_parse(form.org_id.trim()).unwrap_or(staff.org_id) } else { staff.org_id };
    let settings = match form.settings(&ctx) {
        Ok(s) => s,
        Err(e) => return form_page(&pages, ctx, &staff, None, form, vec![e]).await,
    };
    match pages.identity.register_client_with_resources(&by, org_id, NewClient::new(settings), &form.resources()).await
    {
        Ok((client, secret)) => Ok(secret_page(SecretPage { ctx, client, secret, registered: true })),
        Err(e) => {
            let errors = field_errors(&ctx, e)?;
            form_page(&pages, ctx, &staff, None, form, errors).await
        }
    }
}

pub(super) async fn edit(
    Staff(ctx, staff): Staff,
    State(pages): State<Pages>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let stored = pages.identity.managed_stored_client(&manager(&staff), &id).await?;
    form_page(&pages, ctx, &staff, Some(id), ClientForm::of(&stored.client, &stored.resources), Vec::new()).await
}

pub(super) async fn update(
    Staff(ctx, staff): Staff,
    State(pages): State<Pages>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let form = ClientForm::parse(&body);
    let settings = match form.settings(&ctx) {
        Ok(s) => s,
        Err(e) => return form_page(&pages, ctx, &staff, Some(id), form, vec![e]).await,
    };
    let resources = form.resources();
    match pages.identity.update_client(&manager(&staff), &id, settings, Some(&resources)).await {
        Ok(_) => Ok(Redirect::to("/identity/clients?done=updated").into_response()),
        Err(e) => {
            let errors = field_errors(&ctx, e)?;
            form_page(&pages, ctx, &staff, Some(id), form, errors).await
        }
    }
}

pub(super) async fn rotate(
    Staff(ctx, staff): Staff,
    State(pages): State<Pages>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    let by = manager(&staff);
    let secret = pages.identity.rotate_client_secret(&by, &id).await?;
    let client = pages.identity.managed_client(&by, &id).await?;
    Ok(secret_page(SecretPage { ctx, client, secret: Some(secret), registered: false }))
}

pub(super) async fn delete(
    Staff(_, staff): Staff,
    State(pages): State<Pages>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    staff.require("admin")?;
    pages.identity.delete_client(&manager(&staff), &id).await?;
    Ok(Redirect::to("/identity/clients?done=deleted").into_response())
}
