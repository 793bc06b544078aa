//! OpenID Connect Discovery (`GET /identity/.well-known/openid-configuration`): the issuer
//! byte for byte as tokens carry it, every endpoint, and what the provider supports; and the
//! trustmark of the vectors of trust it answers with (RFC 8485 §5, `GET /identity/trustmark`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::claims::CLAIMS;
use super::client::{AuthMethod, CLIENT_ALGS, GrantType, SCOPES};
use super::levels;
use crate::service::Identity;

impl Identity {
    /// The discovery document.
    pub fn discovery(&self) -> Value {
        let issuer = &self.issuer;
        let at = |path: &str| format!("{issuer}{path}");
        let algs = ["RS256", "ES256", "EdDSA"];
        let methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
        let confidential: Vec<&str> = methods.iter().copied().filter(|m| *m != "none").collect();
        let mut claims: Vec<&str> =
            vec!["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "vot", "vtm"];
        claims.extend(CLAIMS.iter().map(|(c, _)| *c));
        let components = levels::vector_components(&self.config.acr);
        let credentials: Vec<&String> = components.iter().filter(|c| c.starts_with('C')).collect();
        let identities: Vec<&String> = components.iter().filter(|c| c.starts_with('P')).collect();
        let mut vectors: Vec<String> = credentials.iter().map(|c| c.to_string()).collect();
        for c in &credentials {
            for p in &identities {
                vectors.push(format!("{c}.{p}"));
            }
        }
        json!({
            "issuer": issuer,
            "authorization_endpoint": at("/authorize"),
            "pushed_authorization_request_endpoint": at("/par"),
            "token_endpoint": at("/token"),
            "userinfo_endpoint": at("/userinfo"),
            "introspection_endpoint": at("/introspect"),
            "revocation_endpoint": at("/revoke"),
            "end_session_endpoint": at("/logout"),
            "jwks_uri": format!("{}/.well-known/jwks.json", self.kernel.config().public_base()),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": GrantType::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
            "subject_types_supported": ["pairwise", "public"],
            "id_token_signing_alg_values_supported": algs,
            "userinfo_signing_alg_values_supported": algs,
            "request_object_signing_alg_values_supported": CLIENT_ALGS,
            "token_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": CLIENT_ALGS,
            "introspection_endpoint_auth_methods_supported": confidential,
            "introspection_endpoint_auth_signing_alg_values_supported": CLIENT_ALGS,
            "revocation_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_signing_alg_values_supported": CLIENT_ALGS,
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": claims,
            "claim_types_supported": ["normal"],
            "claims_parameter_supported": true,
            "request_parameter_supported": true,
            "request_uri_parameter_supported": false,
            "require_pushed_authorization_requests": false,
            "authorization_response_iss_parameter_supported": true,
            "acr_values_supported": levels::acr_values(&self.config.acr),
            "vtr_values_supported": vectors,
            "trustmark_uri": self.trustmark_url(),
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "ui_locales_supported": ["en", "fr"],
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "frontchannel_logout_supported": false,
            "frontchannel_logout_session_supported": false,
        })
    }

    /// The trustmark: which vector-of-trust components this provider can assert.
    pub fn trustmark(&self) -> Value {
        let components = levels::vector_components(&self.config.acr);
        let mut credential: Vec<String> = components
            .iter()
            .filter(|c| c.starts_with('C'))
            .flat_map(|c| c.split('.').map(str::to_string).collect::<Vec<_>>())
            .collect();
        credential.sort();
        credential.dedup();
        let identity: Vec<&String> = components.iter().filter(|c| c.starts_with('P')).collect();
        json!({ "idp": self.issuer, "trustmark_provider": self.issuer, "C": credential, "P": identity })
    }
}

fn cacheable(body: Value) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(body)).into_response()
}

pub(super) async fn configuration(State(identity): State<Arc<Identity>>) -> Response {
    cacheable(identity.discovery())
}

pub(super) async fn trustmark(State(identity): State<Arc<Identity>>) -> Response {
    cacheable(identity.trustmark())
}
