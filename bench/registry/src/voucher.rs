//! A voucher for the demo client, as a consumer gets one: a client assertion (RFC 7523, ES256,
//! signed with the demo client's private key) posted to the exchange's token endpoint.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::Result;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The DER inside a PEM block.
fn pem_der(pem: &str) -> Result<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(STANDARD.decode(body.trim())?)
}

/// A voucher for the purpose in the `exchange` entry of the demo credentials.
pub async fn voucher(credentials: &Value) -> Result<String> {
    let field = |name: &str| credentials.get(name).and_then(Value::as_str).ok_or(format!("no `{name}` in credentials"));
    let (token_url, client_id, kid) = (field("token_url")?, field("client_id")?, field("key_id")?);
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pem_der(field("private_key_pem")?)?)
        .map_err(|e| format!("the private key: {e}"))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let header = json!({"alg": "ES256", "kid": kid, "typ": "JWT"});
    let claims = json!({"iss": client_id, "sub": client_id, "aud": token_url, "jti": uuid::Uuid::new_v4(),
        "iat": now, "exp": now + 300, "purposeId": field("purpose_id")?});
    let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature = key.sign(&SystemRandom::new(), input.as_bytes()).map_err(|e| format!("signing: {e}"))?;
    let assertion = format!("{input}.{}", b64(signature.as_ref()));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", &assertion),
    ];
    let answer: Value = reqwest::Client::new().post(token_url).form(&form).send().await?.json().await?;
    Ok(answer
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or(format!("the token endpoint answered {answer}"))?
        .to_string())
}
