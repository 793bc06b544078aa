//! Setting up a running `publica serve --demo` for the bench, through its public interfaces
//! only: the bench clients registered with an `identity` API key of the demo's tax office,
//! and authorization codes minted through the real flow: the demo citizen without a second
//! factor signs in on the sign-in page, consents once on the consent page, then each
//! `GET /identity/authorize?prompt=none&…` with that session answers a redirect with a new code.

use std::cell::RefCell;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use serde_json::{Value, json};

use crate::Result;
use crate::load::{cookie, csrf};

/// The demo's `demo-credentials.json`.
pub fn credentials(file: &str) -> Result<Value> {
    Ok(serde_json::from_slice(&std::fs::read(file)?)?)
}

/// The email and password of the demo citizen at `aal1` (a password and no second factor).
pub fn password_only_citizen(credentials: &Value) -> Result<(String, String)> {
    let citizens = credentials.pointer("/identity/citizens").and_then(Value::as_array).ok_or("no identity.citizens")?;
    let citizen = citizens
        .iter()
        .find(|c| c.get("level").and_then(Value::as_str) == Some("aal1"))
        .ok_or("no demo citizen at level aal1")?;
    let field = |name: &str| citizen.get(name).and_then(Value::as_str).map(str::to_string).ok_or(format!("no {name}"));
    Ok((field("email")?, field("password")?))
}

fn http() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?)
}

/// Register `bench-es256` and `bench-rs256`: confidential, `client_secret_basic` with
/// `secret`, the authorization code and client credentials grants, ID tokens (and JWT access
/// tokens) signed with the algorithm of the name, `resource` registered for their own tokens
/// (RFC 8707). A client already there is left as it is.
pub async fn register_clients(
    base: &str,
    credentials: &Value,
    secret: &str,
    redirect_uri: &str,
    resource: &str,
) -> Result<()> {
    let http = http()?;
    let orgs =
        credentials.pointer("/kernel/organisations").and_then(Value::as_array).ok_or("no kernel.organisations")?;
    let kernel_key = orgs
        .iter()
        .find(|o| o.get("slug").and_then(Value::as_str) == Some("tax-office"))
        .and_then(|o| o.get("api_key").and_then(Value::as_str))
        .ok_or("no kernel API key of the tax office in the credentials")?;
    let created = http
        .post(format!("{base}/api/kernel/v1/api-keys"))
        .bearer_auth(kernel_key)
        .json(&json!({ "name": "identity bench", "block": "identity" }))
        .send()
        .await?;
    if created.status() != StatusCode::CREATED {
        return Err(format!("creating an identity API key: {} {}", created.status(), created.text().await?).into());
    }
    let key: Value = created.json().await?;
    let key = key.get("token").and_then(Value::as_str).ok_or("no token in the API key answer")?.to_string();
    for alg in ["ES256", "RS256"] {
        let body = json!({
            "name": format!("Bench client ({alg})"),
            "client_id": format!("bench-{}", alg.to_lowercase()),
            "client_secret": secret,
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "client_secret_basic",
            "id_token_signed_response_alg": alg,
            "grant_types": ["authorization_code", "client_credentials"],
            "scopes": ["openid"],
            "resources": [resource],
        });
        let answer = http.post(format!("{base}/api/identity/v1/clients")).bearer_auth(&key).json(&body).send().await?;
        match answer.status() {
            StatusCode::CREATED | StatusCode::CONFLICT => {}
            status => return Err(format!("registering the {alg} client: {status} {}", answer.text().await?).into()),
        }
    }
    Ok(())
}

fn location(headers: &HeaderMap) -> Option<String> {
    headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The `code` of a redirect to the client, checking it goes to `redirect_uri`.
fn code_of(location: &str, redirect_uri: &str) -> Option<String> {
    let url = url::Url::parse(location).ok()?;
    if !location.starts_with(redirect_uri) {
        return None;
    }
    url.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned())
}

/// Sign the password-only demo citizen in through the sign-in page: the cookies of that browser.
async fn sign_in(http: &reqwest::Client, base: &str, credentials: &Value) -> Result<String> {
    let (email, password) = password_only_citizen(credentials)?;
    let (csrf_cookie, token) = csrf(http, base).await?;
    let form =
        [("_csrf", token.as_str()), ("email", &email), ("password", &password), ("return_to", "/identity/account")];
    let answer = http
        .post(format!("{base}/identity/sign-in"))
        .header(header::COOKIE, format!("publica_csrf={csrf_cookie}"))
        .form(&form)
        .send()
        .await?;
    let session = cookie(answer.headers(), publica_identity::accounts::SESSION_COOKIE)
        .ok_or(format!("signing in {email} answered {} without a session cookie", answer.status()))?;
    Ok(format!("publica_csrf={csrf_cookie}; {}={session}", publica_identity::accounts::SESSION_COOKIE))
}

/// `count` codes for `client_id`, minted `concurrency` at a time after the citizen signs in
/// (and consents, the first time).
pub async fn mint(
    base: &str,
    credentials: &Value,
    client_id: &str,
    redirect_uri: &str,
    count: usize,
    concurrency: usize,
) -> Result<Vec<String>> {
    let http = http()?;
    let cookies = sign_in(&http, base, credentials).await?;
    let authorize = |prompt: Option<&str>| {
        let nonce = publica_kernel::crypto::random_token();
        let mut query = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid"),
            ("state", "bench"),
            ("nonce", nonce.as_str()),
        ];
        if let Some(prompt) = prompt {
            query.push(("prompt", prompt));
        }
        let url = format!("{base}/identity/authorize?{}", publica_kernel::web::form::query(query));
        http.get(url).header(header::COOKIE, &cookies)
    };
    // The first authorization: consent when asked.
    let first = authorize(None).send().await?;
    let to =
        location(first.headers()).ok_or(format!("the authorization answered {} without a redirect", first.status()))?;
    // The cookie binding the interaction to this browser goes along.
    let binding = publica_identity::oidc::flow::BROWSER_COOKIE;
    let cookies = match cookie(first.headers(), binding) {
        Some(value) => format!("{cookies}; {binding}={value}"),
        None => cookies.clone(),
    };
    if let Some(interaction) = to.strip_prefix("/identity/consent/") {
        let page = http.get(format!("{base}{to}")).header(header::COOKIE, &cookies).send().await?;
        if page.status() != StatusCode::OK {
            return Err(format!("the consent page answered {}", page.status()).into());
        }
        let html = page.text().await?;
        let token = crate::load::csrf_field(&html).ok_or("the consent page has no _csrf field")?;
        // The first decision button is the approval.
        let approve = html
            .split_once("name=\"decision\" value=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_string())
            .ok_or("the consent page has no decision button")?;
        let answer = http
            .post(format!("{base}/identity/consent/{interaction}"))
            .header(header::COOKIE, &cookies)
            .form(&[("_csrf", token.as_str()), ("decision", approve.as_str())])
            .send()
            .await?;
        let to = location(answer.headers()).unwrap_or_default();
        code_of(&to, redirect_uri).ok_or(format!("the consent answered {} to `{to}`, not a code", answer.status()))?;
    } else {
        code_of(&to, redirect_uri).ok_or(format!("the first authorization went to `{to}`, not a code or consent"))?;
    }
    // Then `prompt=none` authorizations, each a new code.
    let codes = RefCell::new(Vec::with_capacity(count));
    let next = std::cell::Cell::new(0usize);
    let failure: RefCell<Option<String>> = RefCell::new(None);
    let worker = || async {
        while next.get() < count && failure.borrow().is_none() {
            next.set(next.get() + 1);
            let outcome = async {
                let answer = authorize(Some("none")).send().await?;
                let to = location(answer.headers()).unwrap_or_default();
                code_of(&to, redirect_uri)
                    .ok_or_else(|| format!("a prompt=none authorization answered {} to `{to}`", answer.status()).into())
            };
            let outcome: Result<String> = outcome.await;
            match outcome {
                Ok(code) => codes.borrow_mut().push(code),
                Err(e) => *failure.borrow_mut() = Some(e.to_string()),
            }
        }
    };
    futures::future::join_all((0..concurrency.max(1)).map(|_| worker())).await;
    if let Some(e) = failure.into_inner() {
        return Err(e.into());
    }
    Ok(codes.into_inner())
}
