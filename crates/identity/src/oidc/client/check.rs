//! The rules a client registration must follow: redirect URIs absolute and matched exactly
//! (https, or http on a loopback host, or a native app's private scheme; no fragment), pairwise
//! clients in one sector (one host, or a private scheme, whose sector is the client itself),
//! back-channel URIs that do not lead into the provider's own network, a key set of public RSA or P-256 keys for
//! `private_key_jwt`, a secret only for those that authenticate with one, refresh tokens only
//! with offline access, client credentials only for confidential clients.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use publica_kernel::crypto::Alg;
use publica_kernel::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AuthMethod, ClientSettings, GrantType, SCOPES, Simulate, SubjectType};
use crate::config::AcrLevel;

/// Settings once checked: what is stored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Checked {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub auth_method: AuthMethod,
    pub jwks: Option<Value>,
    pub id_token_alg: Alg,
    pub userinfo_alg: Option<Alg>,
    pub subject_type: SubjectType,
    pub sector_identifier: String,
    pub scopes: Vec<String>,
    pub offline_access: bool,
    pub default_acr: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub simulate: Simulate,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::invalid(field, message)
}

/// Whether `host` is a loopback host, where plain `http` redirect URIs are allowed (RFC 8252).
fn loopback(host: &str) -> bool {
    host == "localhost" || host == "127.0.0.1" || host == "[::1]" || host.ends_with(".localhost")
}

/// The pairwise sector of a redirect URI: its host for `https` and `http`; empty for a native
/// app's private scheme, whose sector is then the client itself (anyone may register a
/// scheme, so it cannot stand for an organisation). See [`super::Client::pairwise_sector`].
fn sector_of(url: &url::Url) -> String {
    match url.scheme() {
        "https" | "http" => url.host_str().unwrap_or_default().to_string(),
        _ => String::new(),
    }
}

/// Whether the provider may send a request to `ip` on a client's behalf: not loopback,
/// private (RFC 1918), shared (RFC 6598), link-local, unique-local (`fc00::/7`), unspecified,
/// multicast, broadcast or reserved, nor such an IPv4 address inside an IPv6 one.
pub fn public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
            // IPv4-compatible (`::a.b.c.d`) and NAT64 (`64:ff9b::a.b.c.d`) addresses reach IPv4.
            if s[..6] == [0; 6] || (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) {
                return !v6.is_loopback() && !v6.is_unspecified() && public_v4(embedded);
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && ip.octets()[2] == 0))
}

/// Check a URI the provider will send requests to on a client's behalf (its back-channel
/// logout URI) before any name is resolved: `https`, and no loopback or local address or name,
/// unless `allow_local` (development: then plain `http` is allowed too). The names it gives
/// must still resolve to public addresses when used (see [`public_address`]).
pub fn check_outbound_uri(field: &str, text: &str, allow_local: bool) -> Result<url::Url> {
    let url = url::Url::parse(text.trim()).map_err(|_| invalid(field, format!("`{text}` is not an absolute URI")))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_local => {}
        _ => return Err(invalid(field, format!("`{text}`: use https"))),
    }
    let local = match url.host() {
        None => return Err(invalid(field, format!("`{text}` has no host"))),
        Some(url::Host::Ipv4(ip)) => !public_address(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !public_address(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost") || !name.contains('.')
        }
    };
    if local && !allow_local {
        return Err(invalid(
            field,
            format!("`{text}` is on this machine or a local network, which the provider does not call"),
        ));
    }
    Ok(url)
}

/// Check one redirect URI: absolute, no fragment, `https` or loopback `http` or a private
/// scheme with a dot (`com.example.app:/callback`).
pub fn check_uri(field: &str, text: &str) -> Result<url::Url> {
    let text = text.trim();
    let url = url::Url::parse(text).map_err(|_| invalid(field, format!("`{text}` is not an absolute URI")))?;
    if url.fragment().is_some() {
        return Err(invalid(field, format!("`{text}` has a fragment (`#…`), which redirect URIs may not have")));
    }
    if url.as_str() != text && url.as_str().trim_end_matches('/') != text {
        // Normalisation changed it (case of the scheme or host, encoding): ask for the exact form.
        return Err(invalid(field, format!("write `{text}` as `{}`: it is matched byte for byte", url.as_str())));
    }
    match url.scheme() {
        "https" => {}
        "http" if url.host_str().is_some_and(loopback) => {}
        "http" => return Err(invalid(field, format!("`{text}`: use https (plain http only on a loopback host)"))),
        scheme if scheme.contains('.') => {}
        scheme => {
            return Err(invalid(
                field,
                format!(
                    "`{text}`: the scheme `{scheme}` is neither https nor a private app scheme like com.example.app"
                ),
            ));
        }
    }
    if url.username() != "" || url.password().is_some() {
        return Err(invalid(field, format!("`{text}` carries credentials")));
    }
    Ok(url)
}

fn check_uris(field: &str, list: &[String], at_least_one: bool) -> Result<Vec<String>> {
    if at_least_one && list.is_empty() {
        return Err(invalid(field, "give at least one URI"));
    }
    if list.len() > 20 {
        return Err(invalid(field, "at most 20 URIs"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, uri) in list.iter().enumerate() {
        check_uri(&format!("{field}/{i}"), uri)?;
        let uri = uri.trim().to_string();
        if !out.contains(&uri) {
            out.push(uri);
        }
    }
    Ok(out)
}

/// Check a client's JWK set: an object with `keys`, each an RSA (2048 bits or more) or P-256
/// public key without private members, usable for signatures.
pub fn check_jwks(field: &str, jwks: &Value) -> Result<Value> {
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(field, "a JWK set is an object {\"keys\": [...]}"))?;
    if keys.is_empty() || keys.len() > 10 {
        return Err(invalid(field, "give 1 to 10 keys"));
    }
    for (i, key) in keys.iter().enumerate() {
        let f = format!("{field}/keys/{i}");
        let member = |name: &str| key.get(name).and_then(Value::as_str);
        if ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|m| key.get(*m).is_some()) {
            return Err(invalid(&f, "this is a private key: register the public key only"));
        }
        if member("use").is_some_and(|u| u != "sig") {
            return Err(invalid(&f, "`use` must be `sig`"));
        }
        match member("kty") {
            Some("RSA") => {
                let n = member("n").ok_or_else(|| invalid(&f, "an RSA key needs `n` and `e`"))?;
                member("e").ok_or_else(|| invalid(&f, "an RSA key needs `n` and `e`"))?;
                let bits = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, n)
                    .map_err(|_| invalid(&f, "`n` is not base64url"))?
                    .iter()
                    .skip_while(|b| **b == 0)
                    .count()
                    * 8;
                if bits < 2048 {
                    return Err(invalid(&f, "RSA keys must have at least 2048 bits"));
                }
                if member("alg").is_some_and(|a| a != "RS256" && a != "PS256") {
                    return Err(invalid(&f, "an RSA key's `alg` must be RS256 or PS256"));
                }
            }
            Some("EC") => {
                if member("crv") != Some("P-256") || member("x").is_none() || member("y").is_none() {
                    return Err(invalid(&f, "an EC key must be on P-256 with `x` and `y`"));
                }
                if member("alg").is_some_and(|a| a != "ES256") {
                    return Err(invalid(&f, "a P-256 key's `alg` must be ES256"));
                }
            }
            _ => return Err(invalid(&f, "`kty` must be RSA or EC (P-256)")),
        }
    }
    Ok(serde_json::json!({ "keys": keys }))
}

fn parse_alg(field: &str, text: &str) -> Result<Alg> {
    Alg::ALL
        .into_iter()
        .find(|a| a.as_str() == text)
        .ok_or_else(|| invalid(field, format!("`{text}` is not one of RS256, ES256, EdDSA")))
}

/// Check settings for a client; `may_be_public` says whether the caller may choose public
/// subject identifiers (the platform operator).
pub fn check(s: &ClientSettings, acr: &BTreeMap<String, AcrLevel>, may_be_public: bool) -> Result<Checked> {
    let name = s.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "give a name of 1 to 200 printable characters, shown to people on the consent page",
        ));
    }
    let redirect_uris = check_uris("redirect_uris", &s.redirect_uris, true)?;
    let post_logout_redirect_uris = check_uris("post_logout_redirect_uris", &s.post_logout_redirect_uris, false)?;
    let backchannel_logout_uri = match s.backchannel_logout_uri.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(uri) => {
            let url = check_uri("backchannel_logout_uri", uri)?;
            if !matches!(url.scheme(), "https" | "http") {
                return Err(invalid("backchannel_logout_uri", "the back-channel logout URI must be http(s)"));
            }
            Some(uri.to_string())
        }
        None => None,
    };
    let auth_method = match s.token_endpoint_auth_method.as_deref() {
        None | Some("") => AuthMethod::ClientSecretBasic,
        Some(text) => AuthMethod::parse(text).ok_or_else(|| {
            invalid(
                "token_endpoint_auth_method",
                format!("`{text}` is not client_secret_basic, client_secret_post, private_key_jwt or none"),
            )
        })?,
    };
    let jwks = match &s.jwks {
        Some(Value::Null) | None => None,
        Some(v) => Some(check_jwks("jwks", v)?),
    };
    if auth_method == AuthMethod::PrivateKeyJwt && jwks.is_none() {
        return Err(invalid("jwks", "private_key_jwt needs the client's public keys (a JWK set)"));
    }
    let id_token_alg = match s.id_token_signed_response_alg.as_deref() {
        None | Some("") => Alg::RS256,
        Some(text) => parse_alg("id_token_signed_response_alg", text)?,
    };
    let userinfo_alg = match s.userinfo_signed_response_alg.as_deref() {
        None | Some("") | Some("none") => None,
        Some(text) => Some(parse_alg("userinfo_signed_response_alg", text)?),
    };
    let subject_type = match s.subject_type.as_deref() {
        None | Some("") => SubjectType::Pairwise,
        Some(text) => SubjectType::parse(text)
            .ok_or_else(|| invalid("subject_type", format!("`{text}` is not pairwise or public")))?,
    };
    if subject_type == SubjectType::Public && !may_be_public {
        return Err(invalid(
            "subject_type",
            "only the platform operator may register a client with public subject identifiers",
        ));
    }
    let mut sectors: Vec<String> =
        redirect_uris.iter().filter_map(|u| url::Url::parse(u).ok()).map(|u| sector_of(&u)).collect();
    sectors.sort();
    sectors.dedup();
    if subject_type == SubjectType::Pairwise && sectors.len() > 1 {
        let found: Vec<&str> = sectors.iter().map(|s| if s.is_empty() { "a private app scheme" } else { s }).collect();
        return Err(invalid(
            "redirect_uris",
            format!(
                "pairwise subject identifiers need all redirect URIs in one sector: on one host, or all with a \
                 native app's private scheme (found {})",
                found.join(", ")
            ),
        ));
    }
    let sector_identifier = sectors.first().cloned().unwrap_or_default();
    let mut scopes: Vec<String> = match &s.scopes {
        None => vec!["openid".into(), "profile".into(), "email".into()],
        Some(list) => list.iter().flat_map(|s| s.split_whitespace()).map(str::to_string).collect(),
    };
    for (i, scope) in scopes.iter().enumerate() {
        if !SCOPES.contains(&scope.as_str()) {
            return Err(invalid(&format!("scopes/{i}"), format!("`{scope}` is not one of {}", SCOPES.join(", "))));
        }
    }
    if !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let offline_access = s.offline_access || scopes.iter().any(|s| s == "offline_access");
    if offline_access && !scopes.iter().any(|s| s == "offline_access") {
        scopes.push("offline_access".into());
    }
    if !offline_access {
        scopes.retain(|s| s != "offline_access");
    }
    scopes.dedup();
    let default_acr = match s.default_acr.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(value) => {
            if crate::oidc::levels::acr_level(acr, value).is_none() {
                return Err(invalid(
                    "default_acr",
                    format!(
                        "`{value}` is not a configured acr value; known: {}",
                        crate::oidc::levels::acr_values(acr).join(", ")
                    ),
                ));
            }
            Some(value.to_string())
        }
        None => None,
    };
    let mut grant_types: Vec<GrantType> = match &s.grant_types {
        None => {
            let mut g = vec![GrantType::AuthorizationCode];
            if offline_access {
                g.push(GrantType::RefreshToken);
            }
            g
        }
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, g)| {
                GrantType::parse(g).ok_or_else(|| {
                    invalid(
                        &format!("grant_types/{i}"),
                        format!("`{g}` is not authorization_code, refresh_token or client_credentials"),
                    )
                })
            })
            .collect::<Result<_>>()?,
    };
    grant_types.sort();
    grant_types.dedup();
    if grant_types.is_empty() {
        return Err(invalid("grant_types", "give at least one grant type"));
    }
    if grant_types.contains(&GrantType::RefreshToken) && !offline_access {
        return Err(invalid("grant_types", "refresh_token needs offline_access to be allowed"));
    }
    if offline_access
        && grant_types.contains(&GrantType::AuthorizationCode)
        && !grant_types.contains(&GrantType::RefreshToken)
    {
        grant_types.push(GrantType::RefreshToken);
        grant_types.sort();
    }
    if auth_method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid("grant_types", "client_credentials is for confidential clients only"));
    }
    let simulate = match s.simulate.as_deref() {
        None | Some("") => Simulate::None,
        Some(text) => Simulate::parse(text).ok_or_else(|| {
            invalid(
                "simulate",
                format!(
                    "`{text}` is not one of {}",
                    Simulate::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?,
    };
    Ok(Checked {
        name: name.to_string(),
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        auth_method,
        jwks,
        id_token_alg,
        userinfo_alg,
        subject_type,
        sector_identifier,
        scopes,
        offline_access,
        default_acr,
        grant_types,
        simulate,
    })
}

/// Check a chosen client id.
pub fn check_client_id(text: &str) -> Result<String> {
    let ok = (3..=100).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if ok {
        Ok(text.to_string())
    } else {
        Err(invalid("client_id", "use 3 to 100 letters, digits, `-`, `.`, `_` or `~`"))
    }
}

/// Check a chosen secret.
pub fn check_secret(text: &str) -> Result<String> {
    if text.len() < 32 || text.len() > 256 || text.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("client_secret", "a chosen secret needs 32 to 256 printable characters without spaces"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assurance::default_acr_map;

    fn ok(s: &ClientSettings) -> Checked {
        check(s, &default_acr_map(), false).expect("valid")
    }

    fn field_of(s: &ClientSettings, public: bool) -> String {
        match check(s, &default_acr_map(), public).expect_err("refused") {
            Error::Invalid { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn defaults_are_a_confidential_pairwise_rs256_client() {
        let c = ok(&ClientSettings::new("Tax", &["https://tax.example/callback"]));
        assert_eq!(c.auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(c.id_token_alg, Alg::RS256);
        assert_eq!(c.subject_type, SubjectType::Pairwise);
        assert_eq!(c.sector_identifier, "tax.example");
        assert_eq!(c.scopes, vec!["openid", "profile", "email"]);
        assert_eq!(c.grant_types, vec![GrantType::AuthorizationCode]);
        assert_eq!(c.simulate, Simulate::None);
    }

    #[test]
    fn redirect_uris_must_be_exact_and_safe() {
        for bad in [
            "tax.example/cb",
            "http://tax.example/cb",
            "https://tax.example/cb#x",
            "https://u:p@tax.example/",
            "HTTPS://TAX.example/cb",
            "javascript:alert(1)",
        ] {
            assert_eq!(field_of(&ClientSettings::new("T", &[bad]), false), "redirect_uris/0", "{bad}");
        }
        assert!(
            check(&ClientSettings::new("T", &["http://127.0.0.1:8400/callback"]), &default_acr_map(), false).is_ok()
        );
        assert!(check(&ClientSettings::new("T", &["com.example.app:/cb"]), &default_acr_map(), false).is_ok());
        assert_eq!(field_of(&ClientSettings::new("T", &[]), false), "redirect_uris");
        let two_hosts = ClientSettings::new("T", &["https://a.example/cb", "https://b.example/cb"]);
        assert_eq!(field_of(&two_hosts, false), "redirect_uris");
    }

    #[test]
    fn private_schemes_are_the_clients_own_sector() {
        let app = ok(&ClientSettings::new("App", &["com.example.app:/cb", "com.example.app://callback"]));
        assert_eq!(app.sector_identifier, "", "the client itself");
        let web = ok(&ClientSettings::new("Web", &["http://127.0.0.1:8400/callback", "http://127.0.0.1:8401/cb"]));
        assert_eq!(web.sector_identifier, "127.0.0.1", "host sectors are unchanged");
        let mixed = ClientSettings::new("Mixed", &["https://a.example/cb", "com.example.app:/cb"]);
        assert_eq!(field_of(&mixed, false), "redirect_uris");
        let mut public = mixed;
        public.subject_type = Some("public".into());
        assert!(check(&public, &default_acr_map(), true).is_ok(), "public subjects need no sector");
    }

    #[test]
    fn outbound_uris_stay_out_of_local_networks() {
        let field = |uri: &str, local: bool| check_outbound_uri("backchannel_logout_uri", uri, local).err();
        for bad in [
            "http://rp.example/logout",
            "https://127.0.0.1/logout",
            "https://10.1.2.3/logout",
            "https://172.16.0.1/logout",
            "https://192.168.1.1/logout",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/logout",
            "https://[fd00::1]/logout",
            "https://[fe80::1]/logout",
            "https://[::ffff:127.0.0.1]/logout",
            "https://[64:ff9b::a00:1]/logout",
            "https://0.0.0.0/logout",
            "https://224.0.0.1/logout",
            "https://100.64.0.1/logout",
            "https://localhost/logout",
            "https://db.localhost/logout",
            "https://intranet/logout",
            "ftp://rp.example/logout",
        ] {
            assert!(field(bad, false).is_some(), "{bad} refused");
        }
        assert!(field("https://rp.example/logout", false).is_none());
        assert!(field("https://93.184.215.14/logout", false).is_none());
        assert!(field("https://[2a00:1450:4007:80e::200e]/logout", false).is_none());
        assert!(field("http://127.0.0.1:8400/backchannel-logout", true).is_none(), "allowed for development");
        assert!(field("ftp://127.0.0.1/x", true).is_some());
    }

    #[test]
    fn methods_keys_and_grants_are_consistent() {
        let mut s = ClientSettings::new("T", &["https://tax.example/cb"]);
        s.token_endpoint_auth_method = Some("private_key_jwt".into());
        assert_eq!(field_of(&s, false), "jwks");
        s.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "c"}]}));
        assert_eq!(field_of(&s, false), "jwks/keys/0");
        s.jwks = Some(serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}));
        assert_eq!(field_of(&s, false), "jwks/keys/0", "short RSA key");
        s.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}));
        assert!(check(&s, &default_acr_map(), false).is_ok());

        let mut public = ClientSettings::new("T", &["https://tax.example/cb"]);
        public.token_endpoint_auth_method = Some("none".into());
        public.grant_types = Some(vec!["client_credentials".into()]);
        assert_eq!(field_of(&public, false), "grant_types");
        public.grant_types = Some(vec!["authorization_code".into(), "refresh_token".into()]);
        assert_eq!(field_of(&public, false), "grant_types", "refresh needs offline_access");
        public.offline_access = true;
        let c = ok(&public);
        assert!(c.scopes.contains(&"offline_access".to_string()));

        let mut s = ClientSettings::new("T", &["https://tax.example/cb"]);
        s.subject_type = Some("public".into());
        assert_eq!(field_of(&s, false), "subject_type");
        assert!(check(&s, &default_acr_map(), true).is_ok());
        s.default_acr = Some("urn:unknown".into());
        assert_eq!(field_of(&s, true), "default_acr");
        s.default_acr = Some("Cl".into());
        assert_eq!(field_of(&s, true), "default_acr", "a vector component is not an acr value");
        s.default_acr = None;
        s.simulate = Some("broken".into());
        assert_eq!(field_of(&s, true), "simulate");
        s.simulate = Some("wrong_nonce".into());
        s.scopes = Some(vec!["openid".into(), "admin".into()]);
        assert_eq!(field_of(&s, true), "scopes/1");
        s.scopes = Some(vec!["email".into()]);
        assert_eq!(check(&s, &default_acr_map(), true).expect("ok").scopes, vec!["openid", "email"]);
        s.id_token_signed_response_alg = Some("HS256".into());
        assert_eq!(field_of(&s, true), "id_token_signed_response_alg");
    }

    #[test]
    fn chosen_ids_and_secrets_are_checked() {
        assert!(check_client_id("demo-tax-office").is_ok());
        assert!(check_client_id("a b").is_err());
        assert!(check_secret("short").is_err());
        assert!(check_secret(&"x".repeat(40)).is_ok());
    }
}
