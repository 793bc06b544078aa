//! The Config OP plan (`oidcc-config-certification-test-plan`): its one module checks the
//! discovery document against OpenID Connect Discovery 1.0, RFC 8414 and the keys it points to.

use serde_json::Value;

use super::{PUBLIC_URL, discovery, each};

fn strings(d: &Value, name: &str) -> Vec<String> {
    d[name]
        .as_array()
        .unwrap_or_else(|| panic!("{name} is an array"))
        .iter()
        .map(|v| v.as_str().unwrap_or_else(|| panic!("{name} has strings only")).to_string())
        .collect()
}

/// An `https` URL without query or fragment (`CheckDiscEndpointIssuerIsValidUrl`, the
/// endpoint checks).
fn https_url(text: &str) -> url::Url {
    let url = url::Url::parse(text).unwrap_or_else(|_| panic!("{text} is a URL"));
    assert_eq!(url.scheme(), "https", "{text}");
    assert!(url.fragment().is_none(), "{text}");
    url
}

/// A scope token (RFC 6749 §3.3: NQCHAR, no spaces).
fn scope_token(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// A BCP 47 tag as Publica writes them: a language subtag, then subtags of letters and digits.
fn language_tag(text: &str) -> bool {
    let mut parts = text.split('-');
    let language = parts.next().unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_lowercase())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// oidcc-discovery-endpoint-verification: the document is JSON with status 200 at
/// `{issuer}/.well-known/openid-configuration` (https); the issuer is that URL's prefix;
/// `response_types_supported` has an OpenID Connect response type; `subject_types_supported`
/// is public or pairwise; RS256 signs ID tokens; userinfo algorithms are an array; the
/// authorization, token and userinfo endpoints (and every other `*_endpoint`) are https; no
/// registration endpoint is offered; the `jwks_uri` is https and its keys are public
/// asymmetric signing keys with a `kid`; request objects may be RS256; claims are listed;
/// grant types are a non-empty array; `openid` is a scope and scopes are well-formed; locales
/// are BCP 47; PKCE methods are an array.
#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    each(|w| async move {
        let (status, content_type, d) = discovery(&w).await;
        assert_eq!(status, 200);
        assert!(content_type.starts_with("application/json"), "{content_type}");
        let discovery_url = format!("{}/.well-known/openid-configuration", w.issuer());
        https_url(&discovery_url);
        let issuer = d["issuer"].as_str().expect("issuer");
        assert_eq!(format!("{issuer}/.well-known/openid-configuration"), discovery_url, "OIDCD-4.3");
        let issuer_url = https_url(issuer);
        assert!(issuer_url.query().is_none());

        let response_types = strings(&d, "response_types_supported");
        let oidc = ["code", "code id_token", "id_token", "token id_token", "code id_token token", "code token"];
        assert!(response_types.iter().any(|t| oidc.contains(&t.as_str())), "{response_types:?}");
        let subjects = strings(&d, "subject_types_supported");
        assert!(!subjects.is_empty() && subjects.iter().all(|s| s == "public" || s == "pairwise"));
        assert!(strings(&d, "id_token_signing_alg_values_supported").contains(&"RS256".to_string()));
        strings(&d, "userinfo_signing_alg_values_supported");

        for name in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint"] {
            let url = https_url(d[name].as_str().unwrap_or_else(|| panic!("{name}")));
            assert!(url.as_str().starts_with(issuer), "{name} under the issuer");
        }
        let object = d.as_object().expect("an object");
        for (name, value) in object.iter().filter(|(k, _)| k.ends_with("_endpoint")) {
            https_url(value.as_str().unwrap_or_else(|| panic!("{name}")));
        }
        assert!(object.get("registration_endpoint").is_none(), "clients are registered by staff, not dynamically");

        let jwks_uri = https_url(d["jwks_uri"].as_str().expect("jwks_uri"));
        let path = jwks_uri.as_str().strip_prefix(PUBLIC_URL).expect("served here");
        let response = w.app.get(path).await;
        assert_eq!(response.status(), 200);
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        let jwks: Value = serde_json::from_slice(&bytes).expect("a JWK set");
        let keys = jwks["keys"].as_array().expect("keys");
        assert!(!keys.is_empty());
        for key in keys {
            assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()), "{key}");
            assert!(matches!(key["kty"].as_str(), Some("RSA" | "EC" | "OKP")), "asymmetric: {key}");
            assert!(key.get("use").is_none_or(|u| u == "sig"), "{key}");
            for private in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
                assert!(key.get(private).is_none(), "no private member {private}: {key}");
            }
        }

        assert_eq!(d["request_parameter_supported"], true);
        assert!(d["request_uri_parameter_supported"].is_boolean());
        assert!(strings(&d, "request_object_signing_alg_values_supported").contains(&"RS256".to_string()));
        assert!(d["claims_parameter_supported"].is_boolean());
        assert!(strings(&d, "claims_supported").contains(&"sub".to_string()));
        assert!(!strings(&d, "grant_types_supported").is_empty());
        let scopes = strings(&d, "scopes_supported");
        assert!(scopes.contains(&"openid".to_string()));
        assert!(scopes.iter().all(|s| scope_token(s)), "{scopes:?}");
        for name in ["ui_locales_supported", "claims_locales_supported"] {
            if object.contains_key(name) {
                assert!(strings(&d, name).iter().all(|t| language_tag(t)), "{name}");
            }
        }
        strings(&d, "code_challenge_methods_supported");
    })
    .await;
}
