//! Reading a person's record as a remote consumer of the exchange would, but in process: a
//! voucher from the token endpoint for a client assertion signed with the identity
//! provider's key (kept until shortly before it expires), then `GET /r1/{service}/{national id}`
//! at the gateway with `X-Road-Client`, `X-Road-Id` and `X-Road-Issue`. Both requests go
//! through the exchange's own routers (`tower::ServiceExt::oneshot`), so quotas, the message
//! log and the person's data-usage log record the read exactly as for any consumer.
//!
//! `X-Road-UserId` is not sent: the end user's national identity is what is being checked, and
//! the gateway records the person whose record it returns in that person's data-usage log.
//! `X-Road-Issue` names the proofing attempt (`identity-proofing/{attempt id}`), joining the
//! message log to the identity provider's attempt and, through it, the account.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use publica_exchange::Exchange;
use publica_exchange::gateway::xroad;
use publica_exchange::token::{ASSERTION_TYPE, TOKEN_PATH};
use publica_kernel::crypto::{Alg, PrivateKey, b64url};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use super::setup::key_aad;
use super::store::{self, SetupRow};
use crate::service::Identity;

/// A voucher is used until this long before it expires.
const VOUCHER_MARGIN: Duration = Duration::from_secs(30);
/// Client assertions are valid this many seconds.
const ASSERTION_SECONDS: i64 = 120;
/// The longest a read of the register may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read.
const BODY_LIMIT: usize = 1 << 20;

/// What the register said.
#[derive(Debug)]
pub enum RegisterAnswer {
    /// The person's current record; `request_id` is the exchange's `X-Road-Id` of the call.
    Found { record: Value, request_id: String },
    /// No such person (or the provider refused the id).
    NotFound { request_id: String },
    /// The register could not be consulted; why, for the operator's log (never shown as is).
    Unavailable(String),
}

/// A voucher held for reuse.
pub(crate) struct CachedVoucher {
    client_id: Uuid,
    purpose_id: Uuid,
    token: String,
    good_until: Instant,
}

impl super::State {
    /// Drop the cached voucher (after a setup change or a refusal).
    pub(crate) fn forget_voucher(&self) {
        *self.voucher.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn cached_voucher(&self, setup: &SetupRow, purpose_id: Uuid) -> Option<String> {
        let held = self.voucher.lock().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|v| v.client_id == setup.client_id && v.purpose_id == purpose_id && Instant::now() < v.good_until)
            .map(|v| v.token.clone())
    }

    fn keep_voucher(&self, voucher: CachedVoucher) {
        *self.voucher.lock().unwrap_or_else(|e| e.into_inner()) = Some(voucher);
    }
}

async fn read_body(response: Response) -> Result<(StatusCode, axum::http::HeaderMap, Vec<u8>), String> {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| format!("the exchange's answer could not be read: {e}"))?;
    Ok((status, headers, bytes.to_vec()))
}

impl Identity {
    /// Read the current record of `national_id` from the population register through the
    /// exchange; `issue` goes in `X-Road-Issue`.
    pub(crate) async fn read_person(&self, national_id: &str, issue: &str) -> RegisterAnswer {
        match self.try_read_person(national_id, issue).await {
            Ok(answer) => answer,
            Err(why) => RegisterAnswer::Unavailable(why),
        }
    }

    async fn try_read_person(&self, national_id: &str, issue: &str) -> Result<RegisterAnswer, String> {
        let exchange = self
            .kernel
            .get::<Exchange>()
            .ok_or_else(|| "the exchange block is not running in this deployment".to_string())?;
        let setup = store::setup(self.kernel.db())
            .await
            .map_err(|e| format!("the proofing setup cannot be read: {e}"))?
            .ok_or_else(|| "proofing is not set up (see `Identity::setup_proofing`)".to_string())?;
        let purpose_id = setup.purpose_id.ok_or_else(|| {
            "proofing has no purpose yet: the agreement waits for the register's approval; run the setup again once it is approved"
                .to_string()
        })?;
        let fresh = self.proofing.cached_voucher(&setup, purpose_id).is_none();
        let voucher = self.voucher(&exchange, &setup, purpose_id).await?;
        match self.gateway(&exchange, &setup, &voucher, national_id, issue).await? {
            // A cached voucher refused (its purpose or agreement changed since): once more with
            // a new one, whose refusal then says why.
            Err(denied) if !fresh => {
                tracing::info!(reason = %denied, "proofing: the cached voucher was refused; asking for a new one");
                let voucher = self.voucher(&exchange, &setup, purpose_id).await?;
                self.gateway(&exchange, &setup, &voucher, national_id, issue).await?
            }
            answer => answer,
        }
    }

    /// A voucher for the purpose: the cached one, or a new one from the token endpoint.
    async fn voucher(&self, exchange: &Arc<Exchange>, setup: &SetupRow, purpose_id: Uuid) -> Result<String, String> {
        if let Some(token) = self.proofing.cached_voucher(setup, purpose_id) {
            return Ok(token);
        }
        let assertion = self.client_assertion(exchange, setup, purpose_id)?;
        let client_id = setup.client_id.to_string();
        let form = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", assertion.as_str()),
            ])
            .finish();
        let request = Request::post(TOKEN_PATH)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form))
            .map_err(|e| format!("the token request could not be built: {e}"))?;
        let started = Instant::now();
        let response = publica_exchange::token::routes(exchange.clone())
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let (status, _, body) = read_body(response).await?;
        let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if status != StatusCode::OK {
            return Err(format!(
                "the exchange refused a voucher ({status}): {}: {}",
                answer["error"].as_str().unwrap_or("?"),
                answer["error_description"].as_str().unwrap_or("no description")
            ));
        }
        let token = answer["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or("the token endpoint answered without an access_token")?
            .to_string();
        let lifetime = Duration::from_secs(answer["expires_in"].as_u64().unwrap_or(0));
        if let Some(good_for) = lifetime.checked_sub(VOUCHER_MARGIN) {
            self.proofing.keep_voucher(CachedVoucher {
                client_id: setup.client_id,
                purpose_id,
                token: token.clone(),
                good_until: started + good_for,
            });
        }
        Ok(token)
    }

    /// A PDND-style client assertion (RFC 7523) for the purpose, signed with the client's key.
    fn client_assertion(&self, exchange: &Exchange, setup: &SetupRow, purpose_id: Uuid) -> Result<String, String> {
        let key = self.proofing_key(setup)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let client_id = setup.client_id.to_string();
        let header = json!({"alg": Alg::ES256.as_str(), "kid": setup.key_id, "typ": "JWT"});
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": exchange.token_url(),
            "jti": Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
            "purposeId": purpose_id.to_string(),
        });
        let input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
        let signature =
            key.sign(input.as_bytes()).map_err(|e| format!("the client assertion cannot be signed: {e}"))?;
        Ok(format!("{input}.{}", b64url(&signature)))
    }

    /// The client's private key, opened from its sealed form (and kept for the next time).
    fn proofing_key(&self, setup: &SetupRow) -> Result<Arc<PrivateKey>, String> {
        let mut held = self.proofing.key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((kid, key)) = held.as_ref()
            && *kid == setup.key_id
        {
            return Ok(key.clone());
        }
        let pkcs8 = self
            .kernel
            .keys()
            .master()
            .decrypt(&key_aad(setup.client_id, &setup.key_id), &setup.key_sealed)
            .map_err(|_| "the proofing key cannot be opened with this master key".to_string())?;
        let key = Arc::new(
            PrivateKey::from_pkcs8(Alg::ES256, &pkcs8).map_err(|e| format!("the proofing key is not usable: {e}"))?,
        );
        *held = Some((setup.key_id.clone(), key.clone()));
        Ok(key)
    }

    /// One call of the person lookup. `Ok(Err(why))` when the gateway refused the voucher (a
    /// new one may help); `Err(why)` when the register cannot be consulted.
    async fn gateway(
        &self,
        exchange: &Arc<Exchange>,
        setup: &SetupRow,
        voucher: &str,
        national_id: &str,
        issue: &str,
    ) -> Result<Result<RegisterAnswer, String>, String> {
        let request_id = Uuid::now_v7().to_string();
        let request = Request::get(format!("/r1/{}/{national_id}", setup.service))
            .header(xroad::X_ROAD_CLIENT, &setup.client_header)
            .header(xroad::X_ROAD_ID, &request_id)
            .header(xroad::X_ROAD_ISSUE, issue)
            .header(header::AUTHORIZATION, format!("Bearer {voucher}"))
            .body(Body::empty())
            .map_err(|e| format!("the gateway request could not be built: {e}"))?;
        let call = publica_exchange::gateway::routes(exchange.clone()).oneshot(request);
        let response = match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(response) => response.unwrap_or_else(|never| match never {}),
            Err(_) => return Err(format!("the register did not answer within {} seconds", CALL_TIMEOUT.as_secs())),
        };
        let (status, headers, body) = read_body(response).await?;
        if let Some(kind) = headers.get(xroad::X_ROAD_ERROR).and_then(|v| v.to_str().ok()) {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|b| b["message"].as_str().map(str::to_string))
                .unwrap_or_default();
            let why = format!("the exchange refused the call ({status}): {kind}: {message}");
            if kind == xroad::kind::ACCESS_DENIED {
                self.proofing.forget_voucher();
                return Ok(Err(why));
            }
            return Err(why);
        }
        match status {
            StatusCode::OK => serde_json::from_slice::<Value>(&body)
                .ok()
                .filter(Value::is_object)
                .map(|record| Ok(RegisterAnswer::Found { record, request_id }))
                .ok_or_else(|| "the register's answer is not a JSON object".to_string()),
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Ok(Ok(RegisterAnswer::NotFound { request_id })),
            other => Err(format!("the register answered {other}")),
        }
    }
}
