//! Plain forms of the account page for security keys, passkeys and remembered devices:
//! removing a key (a sensitive action: it needs a recent sign-in), forgetting one remembered
//! device or all of them. Adding a key needs the authenticator, so it is the script's
//! (`pages::webauthn`).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use publica_kernel::error::Error;
use publica_kernel::web::{PageCtx, PageError};
use uuid::Uuid;

use super::{Pages, https, recently_signed_in_or_redirect, removal_refused, signed_in_or_redirect, with_cookies};
use crate::accounts::Origin;
use crate::accounts::devices::{DEVICE_COOKIE, clear_device_cookie};
use crate::accounts::sessions::cookie_value;

const ACCOUNT: &str = "/identity/account";

fn id_of(text: &str, what: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(text).map_err(|_| PageError(Error::not_found(what.to_string())))
}

/// Remove a security key or passkey.
pub(crate) async fn remove_key(
    State(pages): State<Pages>,
    ctx: PageCtx,
    origin: Origin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let id = id_of(&id, "security key")?;
    let current = match recently_signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    match identity.remove_key(&current.account, id, &origin).await {
        Ok(()) => Ok(Redirect::to(&format!("{ACCOUNT}#keys-heading")).into_response()),
        Err(Error::Invalid { .. }) => {
            Ok(removal_refused(&ctx, "acc-key-remove-refused-title", "acc-key-remove-refused"))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// Forget one remembered device.
pub(crate) async fn forget_device(
    State(pages): State<Pages>,
    origin: Origin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let id = id_of(&id, "remembered device")?;
    let current = match signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    identity.forget_device(&current.account, id, &origin).await?;
    Ok(Redirect::to(&format!("{ACCOUNT}#devices-heading")).into_response())
}

/// Forget every remembered device of the account (this browser's cookie goes too).
pub(crate) async fn forget_devices(
    State(pages): State<Pages>,
    origin: Origin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let identity = &pages.identity;
    let current = match signed_in_or_redirect(identity, &headers, ACCOUNT).await? {
        Ok(c) => c,
        Err(to_sign_in) => return Ok(to_sign_in),
    };
    identity.forget_devices(&current.account, &origin).await?;
    let redirect = Redirect::to(&format!("{ACCOUNT}#devices-heading")).into_response();
    let clear = cookie_value(&headers, DEVICE_COOKIE).and_then(|_| clear_device_cookie(https(identity, &headers)));
    Ok(with_cookies(redirect, vec![clear]))
}
