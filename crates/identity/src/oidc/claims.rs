//! Which claims a request asks for (scopes and the `claims` parameter) and their values for
//! an account. Identity claims from the population register (`given_name`, `family_name`,
//! `birthdate`, `address`, `national_id`) are released only when the account's identity is
//! verified; until then they are absent, never self-asserted.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::domain::{AccountClaims, Ial};

/// The personal claims Publica can release, with the scope that implies each.
pub const CLAIMS: [(&str, &str); 10] = [
    ("name", "profile"),
    ("given_name", "profile"),
    ("family_name", "profile"),
    ("birthdate", "profile"),
    ("email", "email"),
    ("email_verified", "email"),
    ("phone_number", "phone"),
    ("phone_number_verified", "phone"),
    ("address", "address"),
    ("national_id", "national_id"),
];

/// Claims about the authentication itself, never subject to consent.
pub const PROTOCOL_CLAIMS: [&str; 9] = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr"];

/// Where a claim is asked for in the `claims` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    IdToken,
    Userinfo,
}

impl Target {
    fn member(self) -> &'static str {
        match self {
            Target::IdToken => "id_token",
            Target::Userinfo => "userinfo",
        }
    }
}

/// Check the `claims` parameter (OpenID Connect Core §5.5): a JSON object whose `userinfo` and
/// `id_token` members, when present, map claim names to `null` or
/// `{"essential": bool, "value": …, "values": […]}`.
pub fn parse_claims_parameter(text: &str) -> Result<Value, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("claims is not JSON: {e}"))?;
    let object = value.as_object().ok_or("claims must be a JSON object")?;
    for target in ["userinfo", "id_token"] {
        let Some(members) = object.get(target) else { continue };
        let members = members.as_object().ok_or_else(|| format!("claims.{target} must be an object"))?;
        for (name, request) in members {
            match request {
                Value::Null => {}
                Value::Object(r) => {
                    if r.get("essential").is_some_and(|e| !e.is_boolean()) {
                        return Err(format!("claims.{target}.{name}.essential must be true or false"));
                    }
                    if r.get("values").is_some_and(|v| !v.is_array()) {
                        return Err(format!("claims.{target}.{name}.values must be an array"));
                    }
                }
                _ => return Err(format!("claims.{target}.{name} must be null or an object")),
            }
        }
    }
    Ok(value)
}

/// The `claims` parameter narrowed to what the client may receive: in its `userinfo` and
/// `id_token` members, the personal claims whose scope the client is allowed
/// (`client_scopes`) and the claims about the authentication (`acr`, `auth_time`…). Other
/// claims, unknown or not allowed, are dropped, as OpenID Connect Core §5.5 ignores claims a
/// provider does not release; `None` when nothing is left.
pub fn allowed(claims: Value, client_scopes: &[String]) -> Option<Value> {
    let may = |name: &str| PROTOCOL_CLAIMS.contains(&name) || may_receive(name, client_scopes);
    let Value::Object(mut object) = claims else { return None };
    let mut out = Map::new();
    for target in [Target::Userinfo, Target::IdToken] {
        let Some(Value::Object(members)) = object.remove(target.member()) else { continue };
        let kept: Map<String, Value> = members.into_iter().filter(|(name, _)| may(name)).collect();
        if !kept.is_empty() {
            out.insert(target.member().to_string(), Value::Object(kept));
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

/// Whether a client allowed `client_scopes` may receive the personal claim `name` (one the
/// scope that implies it is among them).
pub fn may_receive(name: &str, client_scopes: &[String]) -> bool {
    CLAIMS.iter().any(|(claim, scope)| *claim == name && client_scopes.iter().any(|s| s == scope))
}

/// The personal claims named in the `claims` parameter for `target`.
pub fn named(claims: Option<&Value>, target: Target) -> Vec<String> {
    claims
        .and_then(|c| c.get(target.member()))
        .and_then(Value::as_object)
        .map(|m| m.keys().filter(|k| CLAIMS.iter().any(|(c, _)| c == k)).cloned().collect())
        .unwrap_or_default()
}

/// The values an `acr` claim request lists (`value` or `values`) and whether it is essential.
pub fn acr_request(claims: Option<&Value>) -> Option<(Vec<String>, bool)> {
    let request = claims?.get("id_token")?.get("acr")?;
    let essential = request.get("essential").and_then(Value::as_bool).unwrap_or(false);
    let mut values: Vec<String> = Vec::new();
    if let Some(v) = request.get("value").and_then(Value::as_str) {
        values.push(v.to_string());
    }
    if let Some(list) = request.get("values").and_then(Value::as_array) {
        values.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
    }
    (!values.is_empty()).then_some((values, essential))
}

/// Every personal claim a request asks for: those its scopes imply and those the `claims`
/// parameter names, sorted.
pub fn requested(scopes: &[String], claims: Option<&Value>) -> Vec<String> {
    let mut out: BTreeSet<String> =
        CLAIMS.iter().filter(|(_, scope)| scopes.iter().any(|s| s == scope)).map(|(c, _)| c.to_string()).collect();
    out.extend(named(claims, Target::IdToken));
    out.extend(named(claims, Target::Userinfo));
    out.into_iter().collect()
}

/// The claims a userinfo answer carries: those the scopes imply and the `userinfo` members of
/// the `claims` parameter.
pub fn for_userinfo(scopes: &[String], claims: Option<&Value>) -> Vec<String> {
    let mut out: BTreeSet<String> =
        CLAIMS.iter().filter(|(_, scope)| scopes.iter().any(|s| s == scope)).map(|(c, _)| c.to_string()).collect();
    out.extend(named(claims, Target::Userinfo));
    out.into_iter().collect()
}

/// The values of `names` for an account, leaving out what it does not have.
pub fn values(account: &AccountClaims, names: &[String]) -> Map<String, Value> {
    let verified = account.verified.as_ref().filter(|v| v.ial == Ial::Verified);
    let mut out = Map::new();
    for name in names {
        let value = match name.as_str() {
            "name" => account
                .name
                .clone()
                .or_else(|| verified.map(|v| format!("{} {}", v.given_name, v.family_name)))
                .map(Value::from),
            "given_name" => verified.map(|v| json!(v.given_name)),
            "family_name" => verified.map(|v| json!(v.family_name)),
            "birthdate" => verified.map(|v| json!(v.birthdate)),
            "address" => verified.and_then(|v| v.address.clone()),
            "national_id" => verified.map(|v| json!(v.national_id)),
            "email" => Some(json!(account.email)),
            "email_verified" => Some(json!(account.email_verified)),
            "phone_number" => account.phone.clone().map(Value::from),
            "phone_number_verified" => account.phone.as_ref().map(|_| json!(account.phone_verified)),
            _ => None,
        };
        if let Some(value) = value {
            out.insert(name.clone(), value);
        }
    }
    out
}

/// The message ids of what a consent page lists for these claims and scopes, each once, in a
/// stable order.
pub fn consent_items(claims: &[String], scopes: &[String]) -> Vec<&'static str> {
    let has = |c: &str| claims.iter().any(|x| x == c);
    let mut items = Vec::new();
    if has("name") {
        items.push("oidc-claim-name");
    }
    if has("given_name") || has("family_name") {
        items.push("oidc-claim-legal-name");
    }
    if has("birthdate") {
        items.push("oidc-claim-birthdate");
    }
    if has("email") || has("email_verified") {
        items.push("oidc-claim-email");
    }
    if has("phone_number") || has("phone_number_verified") {
        items.push("oidc-claim-phone");
    }
    if has("address") {
        items.push("oidc-claim-address");
    }
    if has("national_id") {
        items.push("oidc-claim-national-id");
    }
    if scopes.iter().any(|s| s == "offline_access") {
        items.push("oidc-claim-offline-access");
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AccountKind, VerifiedIdentity};
    use publica_kernel::db::Timestamp;

    fn account(verified: bool) -> AccountClaims {
        AccountClaims {
            account_id: uuid::Uuid::now_v7(),
            kind: AccountKind::Citizen,
            email: "ana@example.org".into(),
            email_verified: true,
            name: None,
            phone: None,
            phone_verified: false,
            verified: verified.then(|| VerifiedIdentity {
                national_id: "19850612344".into(),
                given_name: "Ana".into(),
                family_name: "Martin".into(),
                birthdate: "1985-06-12".into(),
                address: Some(json!({"locality": "Demopolis"})),
                ial: Ial::Verified,
                verified_at: Timestamp::now(),
            }),
        }
    }

    #[test]
    fn scopes_and_the_claims_parameter_name_claims() {
        let claims = parse_claims_parameter(
            r#"{"id_token":{"email":{"essential":true},"acr":null},"userinfo":{"national_id":null}}"#,
        )
        .expect("valid");
        let scopes = vec!["openid".to_string(), "profile".to_string()];
        let all = requested(&scopes, Some(&claims));
        assert_eq!(all, vec!["birthdate", "email", "family_name", "given_name", "name", "national_id"]);
        assert_eq!(named(Some(&claims), Target::IdToken), vec!["email"]);
        assert_eq!(for_userinfo(&scopes, Some(&claims)).len(), 5);
        assert!(parse_claims_parameter("[]").is_err());
        assert!(parse_claims_parameter(r#"{"userinfo":{"email":{"essential":"yes"}}}"#).is_err());
        assert!(parse_claims_parameter(r#"{"id_token":{"email":3}}"#).is_err());
        let acr = parse_claims_parameter(r#"{"id_token":{"acr":{"essential":true,"values":["a","b"]}}}"#).expect("ok");
        assert_eq!(acr_request(Some(&acr)), Some((vec!["a".into(), "b".into()], true)));
    }

    #[test]
    fn claims_beyond_the_clients_scopes_are_dropped() {
        let asked = parse_claims_parameter(
            r#"{"id_token":{"email":null,"birthdate":{"essential":true},"acr":{"essential":true,"values":["x"]}},
                "userinfo":{"national_id":null,"shoe_size":null},"verified_claims":{}}"#,
        )
        .expect("valid");
        let scopes = vec!["openid".to_string(), "email".to_string()];
        let kept = allowed(asked, &scopes).expect("something left");
        assert_eq!(kept, json!({"id_token": {"email": null, "acr": {"essential": true, "values": ["x"]}}}));
        assert_eq!(requested(&scopes, Some(&kept)), vec!["email", "email_verified"]);
        let nothing = parse_claims_parameter(r#"{"userinfo":{"national_id":null}}"#).expect("valid");
        assert_eq!(allowed(nothing, &scopes), None);
    }

    #[test]
    fn register_claims_only_once_verified() {
        let names: Vec<String> = CLAIMS.iter().map(|(c, _)| c.to_string()).collect();
        let unverified = values(&account(false), &names);
        assert!(unverified.get("given_name").is_none() && unverified.get("national_id").is_none());
        assert_eq!(unverified["email"], "ana@example.org");
        assert!(unverified.get("phone_number").is_none());
        let verified = values(&account(true), &names);
        assert_eq!(verified["national_id"], "19850612344");
        assert_eq!(verified["name"], "Ana Martin");
        assert_eq!(verified["address"]["locality"], "Demopolis");
    }
}
