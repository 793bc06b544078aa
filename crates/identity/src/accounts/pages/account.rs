//! The account page: profile, sign-in methods (with security keys and passkeys, each
//! removable), remembered devices (each forgettable), connected services (each revocable), the
//! activity log (time, place as the address it came from, device), the data download and
//! sign-out everywhere; and the download itself, a JSON document of everything held.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use publica_kernel::web::{PageCtx, PageError, When, render};
use serde_json::json;

use super::webauthn::allow_script;
use super::{Pages, recently_signed_in_or_redirect, sign_in_url, signed_in_or_redirect};
use crate::accounts::Origin;
use crate::accounts::devices::DEVICE_COOKIE;
use crate::accounts::sessions::cookie_value;
use crate::accounts::store;
use crate::domain::Aal;

/// One line of the activity log, as shown.
pub(crate) struct ActivityLine {
    pub when: When,
    pub what: String,
    pub outcome: String,
    pub place: String,
    pub device: String,
}

/// A security key or passkey, as shown.
pub(crate) struct KeyLine {
    pub id: String,
    pub name: String,
    /// Device-bound (reaches aal3) or synced.
    pub device_bound: bool,
    pub added: When,
    pub last_used: Option<When>,
    pub blocked: bool,
}

/// A remembered device, as shown.
pub(crate) struct DeviceLine {
    pub id: String,
    pub device: String,
    pub place: String,
    pub remembered: When,
    pub expires: When,
    pub this_browser: bool,
}

/// A connected service, as shown.
pub(crate) struct ServiceLine {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub granted: When,
}

#[derive(Template)]
#[template(path = "identity/acc_account.html", config = "templates/askama.toml")]
struct AccountPage {
    ctx: PageCtx,
    name: String,
    email: String,
    email_verified: bool,
    phone: Option<String>,
    phone_verified: bool,
    kind: String,
    verified_level: bool,
    aal: String,
    has_totp: bool,
    has_second_factor: bool,
    recovery_left: i64,
    /// Security keys and passkeys work on this server.
    webauthn: bool,
    keys: Vec<KeyLine>,
    /// Adding a key is possible now (a recent sign-in, with the second factor if there is one);
    /// else the way to sign in again.
    may_add_key: bool,
    sign_in_again: String,
    devices: Vec<DeviceLine>,
    password_changed: When,
    services: Vec<ServiceLine>,
    activity: Vec<ActivityLine>,
}

/// The activity kind's label: `acc-activity-{kind}` when translated, else the kind itself.
fn activity_label(ctx: &PageCtx, kind: &str) -> String {
    let id = format!("acc-activity-{}", kind.replace('.', "-"));
    let text = ctx.t(&id);
    if text == id { kind.to_string() } else { text }
}

pub(crate) async fn show(State(pages): State<Pages>, ctx: PageCtx, headers: HeaderMap) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match signed_in_or_redirect(identity, &headers, "/identity/account").await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let account = &current.account;
    let services = identity
        .connected_services(account.id)
        .await?
        .into_iter()
        .map(|s| ServiceLine {
            client_id: s.client_id,
            name: s.client_name,
            scopes: s.scopes.join(", "),
            granted: When::to_minute(s.granted_at),
        })
        .collect();
    let activity = identity
        .activity(account.id, Some(50))
        .await?
        .into_iter()
        .map(|a| {
            let outcome = a.detail.get("outcome").and_then(|o| o.as_str()).unwrap_or_default();
            ActivityLine {
                when: When::of(a.at),
                what: activity_label(&ctx, &a.kind),
                outcome: if outcome.is_empty() {
                    String::new()
                } else {
                    activity_label(&ctx, &format!("outcome.{outcome}"))
                },
                place: a.ip.unwrap_or_else(|| ctx.t("acc-unknown")),
                device: a.user_agent.unwrap_or_else(|| ctx.t("acc-unknown")),
            }
        })
        .collect();
    let keys = identity
        .webauthn_keys(account.id)
        .await?
        .into_iter()
        .map(|k| KeyLine {
            id: k.id.to_string(),
            name: k.name,
            device_bound: !k.backup_eligible,
            added: When::to_minute(k.created_at),
            last_used: k.last_used_at.map(When::to_minute),
            blocked: k.disabled_at.is_some(),
        })
        .collect();
    let this_device = match cookie_value(&headers, DEVICE_COOKIE) {
        Some(token) => {
            let hash = publica_kernel::crypto::sha256(token.as_bytes());
            store::devices::by_token(identity.kernel.db(), &hash, publica_kernel::db::Timestamp::now())
                .await?
                .map(|d| d.id)
        }
        None => None,
    };
    let devices = identity
        .remembered_devices(account.id)
        .await?
        .into_iter()
        .map(|d| DeviceLine {
            id: d.id.to_string(),
            device: d.user_agent.unwrap_or_else(|| ctx.t("acc-unknown")),
            place: d.ip.unwrap_or_else(|| ctx.t("acc-unknown")),
            remembered: When::to_minute(d.created_at),
            expires: When::to_minute(d.expires_at),
            this_browser: Some(d.id) == this_device,
        })
        .collect();
    let has_second_factor = identity.has_second_factor(account).await?;
    let may_add_key = identity.may_add_key(&current).await.is_ok();
    let again_level = if has_second_factor { Aal::Aal2 } else { Aal::Aal1 };
    let webauthn = identity.webauthn_available();
    let page = AccountPage {
        name: account.name.clone().unwrap_or_default(),
        email: account.email.clone(),
        email_verified: account.email_verified_at.is_some(),
        phone: account.phone.clone(),
        phone_verified: account.phone_verified_at.is_some(),
        kind: ctx.t(&format!("acc-kind-{}", account.kind.as_str())),
        verified_level: identity.ial_of(account).await? == crate::domain::Ial::Verified,
        aal: current.aal().as_str().into(),
        has_totp: identity.has_totp(account.id).await?,
        has_second_factor,
        recovery_left: identity.recovery_codes_left(account.id).await?,
        webauthn,
        keys,
        may_add_key,
        sign_in_again: sign_in_url("/identity/account#keys-heading", again_level, true, Some(&account.email)),
        devices,
        password_changed: When::to_minute(account.password_changed_at),
        services,
        activity,
        ctx,
    };
    let response = render(&page);
    Ok(if webauthn { allow_script(identity, "/identity/account", response).await } else { response })
}

/// Everything held about the account, as JSON: the account, its sign-in methods (never their
/// secrets), sessions, activity log, connected services, what the OpenID Connect provider holds
/// and the verified identity. A sensitive action: needs a recent sign-in.
pub(crate) async fn download(
    State(pages): State<Pages>,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let here = "/identity/account/data.json";
    let current = match recently_signed_in_or_redirect(identity, &headers, here).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    let a = &current.account;
    let db = identity.kernel.db();
    let totp = store::auth::totp(db, a.id).await?;
    let sessions: Vec<_> = store::sessions::of_account(db, a.id)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id, "created_at": s.created_at, "auth_time": s.auth_time, "last_seen_at": s.last_seen_at,
                "expires_at": s.expires_at, "aal": s.aal, "amr": s.amr, "ip": s.ip, "user_agent": s.user_agent,
                "this_browser": s.id == current.session.id,
            })
        })
        .collect();
    let services: Vec<_> = identity
        .connected_services(a.id)
        .await?
        .into_iter()
        .map(|s| json!({ "client_id": s.client_id, "client_name": s.client_name, "scopes": s.scopes, "granted_at": s.granted_at }))
        .collect();
    let keys: Vec<_> = identity
        .webauthn_keys(a.id)
        .await?
        .into_iter()
        .map(|k| {
            json!({
                "id": k.id, "name": k.name, "device_bound": !k.backup_eligible, "created_at": k.created_at,
                "last_used_at": k.last_used_at, "blocked_at": k.disabled_at,
            })
        })
        .collect();
    let devices: Vec<_> = identity
        .remembered_devices(a.id)
        .await?
        .into_iter()
        .map(|d| {
            json!({
                "id": d.id, "user_agent": d.user_agent, "ip": d.ip, "remembered_at": d.created_at,
                "both_factors_at": d.mfa_at, "last_used_at": d.last_used_at, "expires_at": d.expires_at,
            })
        })
        .collect();
    identity.record_activity(a.id, "data.downloaded", json!({}), &origin).await?;
    let document = json!({
        "account": {
            "id": a.id, "kind": a.kind.as_str(), "email": a.email, "email_verified_at": a.email_verified_at,
            "name": a.name, "phone": a.phone, "phone_verified_at": a.phone_verified_at, "created_at": a.created_at,
            "password_changed_at": a.password_changed_at, "locked_at": a.locked_at, "recovered_at": a.recovered_at,
            "staff_member_id": a.member_id,
        },
        "sign_in_methods": {
            "password": { "changed_at": a.password_changed_at },
            "authenticator_app": totp.map(|t| json!({ "created_at": t.created_at, "confirmed_at": t.confirmed_at })),
            "recovery_codes_left": identity.recovery_codes_left(a.id).await?,
            "phone": a.phone.as_ref().map(|p| json!({ "number": p, "verified_at": a.phone_verified_at })),
            "security_keys_and_passkeys": keys,
        },
        "remembered_devices": devices,
        "sessions": sessions,
        "activity": identity.activity(a.id, None).await?,
        "connected_services": services,
        "openid_connect": identity.oidc_data_of(a.id).await?,
        "verified_identity": identity.verified_identity(a.id).await?,
    });
    let body = serde_json::to_string_pretty(&document).map_err(publica_kernel::error::Error::internal)?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"publica-account.json\""));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
