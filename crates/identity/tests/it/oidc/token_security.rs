//! The token path's security rules: a refresh token stops working when its account is locked
//! or its tokens are revoked (`revoke_account_tokens`), a client assertion's `aud` names this
//! provider and nothing else, `client_credentials` only for resources registered for the
//! client, a client's changes seen at once by the client cache, self-contained client tokens
//! revocable, and a code spent once even when two exchanges race through the group committer.

use publica_identity::oidc::store::tokens::revoke_account_tokens;
use publica_kernel::crypto::Alg;
use serde_json::{Value, json};
use uuid::Uuid;

use super::support::{Browser, Rp, World, code_of, exchange, now, sign, worlds};

const API: &str = "/api/identity/v1/clients";
const ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn refresh(w: &World, rp: &Rp, token: &str) -> (u16, Value) {
    let fields = [("grant_type", "refresh_token"), ("refresh_token", token)];
    let (status, body, _) = w.form("/identity/token", &fields, &[rp.basic()]).await;
    (status, body)
}

async fn introspect(w: &World, rp: &Rp, token: &str) -> Value {
    let (status, body, _) = w.form("/identity/introspect", &[("token", token)], &[rp.basic()]).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn set_locked(w: &World, account: Uuid, locked: bool) {
    let at = locked.then(publica_kernel::db::Timestamp::now);
    publica_kernel::on_db!(w.app.kernel.db(), pool =>
        sqlx::query("UPDATE identity_accounts SET locked_at = $2 WHERE id = $1").bind(account).bind(at)
            .execute(pool).await.map(|_| ()))
    .expect("lock");
}

async fn access_rows(w: &World, client_id: &str) -> i64 {
    let (n,): (i64,) = publica_kernel::on_db!(w.app.kernel.db(), pool =>
        sqlx::query_as("SELECT COUNT(*) FROM identity_oidc_access_tokens WHERE client_id = $1").bind(client_id)
            .fetch_one(pool).await)
    .expect("count");
    n
}

#[tokio::test]
async fn a_refresh_token_stops_working_when_the_account_is_locked_or_its_tokens_are_revoked() {
    for w in worlds().await {
        let (rp, ana, _browser, tokens) = w.offline_grant().await;
        let r1 = tokens["refresh_token"].as_str().expect("refresh").to_string();

        set_locked(&w, ana.account_id, true).await;
        let (status, body) = refresh(&w, &rp, &r1).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "a locked account: {body}");
        assert_eq!(introspect(&w, &rp, &r1).await["active"], false, "inactive while the account is locked");
        set_locked(&w, ana.account_id, false).await;
        let (status, body) = refresh(&w, &rp, &r1).await;
        assert_eq!(status, 200, "unlocked, the unused token works: {body}");
        let r2 = body["refresh_token"].as_str().expect("rotated").to_string();
        let access = body["access_token"].as_str().expect("access").to_string();
        assert_eq!(introspect(&w, &rp, &access).await["active"], true);

        // Signed out everywhere (as a password change and a recovery do): every token revoked.
        let origin = publica_identity::accounts::Origin::default();
        w.identity.sign_out_everywhere(ana.account_id, &origin).await.expect("sign out everywhere");
        let mut tx = w.app.kernel.db().begin().await.expect("tx");
        let left = revoke_account_tokens(&mut tx, ana.account_id).await.expect("revoke");
        tx.commit().await.expect("commit");
        assert_eq!(left, 0, "nothing was left to revoke");
        let (status, body) = refresh(&w, &rp, &r2).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
        assert_eq!(introspect(&w, &rp, &access).await["active"], false, "the access token too");
        assert_eq!(introspect(&w, &rp, &r2).await["active"], false);
        let request = axum::http::Request::get("/identity/userinfo")
            .header("authorization", format!("Bearer {access}"))
            .body(axum::body::Body::empty())
            .expect("request");
        assert_eq!(w.app.request(request).await.status(), 401, "userinfo refuses it");
    }
}

#[tokio::test]
async fn an_assertion_audience_names_this_provider_and_nothing_else() {
    for w in worlds().await {
        let keyed = w.with_key(Alg::ES256).await;
        let token_url = format!("{}/token", w.issuer());
        let grant = |aud: Value| {
            let n = now();
            let claims = json!({
                "iss": keyed.client_id, "sub": keyed.client_id, "aud": aud,
                "jti": Uuid::new_v4().to_string(), "iat": n, "exp": n + 120,
            });
            sign(keyed.key.as_ref().expect("key"), keyed.kid.as_deref(), &claims)
        };
        let post = |assertion: String| {
            let w = &w;
            async move {
                let fields = [
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", ASSERTION),
                    ("client_assertion", assertion.as_str()),
                ];
                let (status, body, _) = w.form("/identity/token", &fields, &[]).await;
                (status, body)
            }
        };
        assert_eq!(post(grant(json!(w.issuer()))).await.0, 200, "the issuer");
        assert_eq!(post(grant(json!(token_url))).await.0, 200, "the token endpoint");
        assert_eq!(post(grant(json!([w.issuer(), token_url]))).await.0, 200, "an array of both");
        let (status, body) = post(grant(json!([token_url, "https://attacker.example/token"]))).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "another audience too: {body}");
        let (status, _) = post(grant(json!(format!("{}/introspect", w.issuer())))).await;
        assert_eq!(status, 401, "another endpoint is no audience at the token endpoint");
        let (status, _) = post(grant(json!([]))).await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn client_credentials_only_for_resources_registered_for_the_client() {
    for w in worlds().await {
        let app = &w.app;
        let resource = "https://api.tax.example/";
        let body = json!({
            "name": "Batch service", "redirect_uris": ["https://batch.example/cb"],
            "grant_types": ["client_credentials"], "scopes": ["email"], "resources": [resource],
        });
        let (status, created) = app.json("POST", API, &w.key, Some(body.clone())).await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["client"]["resources"], json!([resource]));
        let rp = Rp::from_created(&created, "https://batch.example/cb");
        let ask = |target: &'static str| {
            let w = &w;
            let rp = &rp;
            async move {
                let fields = [("grant_type", "client_credentials"), ("resource", target)];
                let (status, body, _) = w.form("/identity/token", &fields, &[rp.basic()]).await;
                (status, body)
            }
        };
        let (status, tokens) = ask(resource).await;
        assert_eq!(status, 200, "{tokens}");
        let (_, claims) = w.verify(tokens["access_token"].as_str().expect("access")).await;
        assert_eq!(claims["aud"], resource);
        let (status, body) = ask("https://payments.example/").await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_target")), "not registered: {body}");
        let (status, body) = ask("https://api.tax.example/#x").await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_target")), "{body}");

        // Bad resources at registration are refused with the field named.
        let bad = json!({ "name": "Bad", "redirect_uris": ["https://bad.example/cb"], "resources": ["api.example"] });
        let (status, problem) = app.json("POST", API, &w.key, Some(bad)).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains("resources[0]"), "{problem}");

        // A change through the API is seen at once (the client cache forgets it).
        let mut update = json!({
            "name": "Batch service", "redirect_uris": ["https://batch.example/cb"],
            "grant_types": ["client_credentials"], "scopes": ["email"], "resources": [],
        });
        let path = format!("{API}/{}", rp.client_id);
        let (status, shown) = app.json("PUT", &path, &w.key, Some(update.clone())).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["client"]["resources"], json!([]));
        assert_eq!(ask(resource).await.0, 400, "no longer registered");
        update["resources"] = json!(["https://payments.example/"]);
        assert_eq!(app.json("PUT", &path, &w.key, Some(update)).await.0, 200);
        assert_eq!(ask("https://payments.example/").await.0, 200);
    }
}

#[tokio::test]
async fn a_rotated_secret_or_a_deleted_client_stops_working_at_once() {
    for w in worlds().await {
        let app = &w.app;
        let mut rp = w.confidential(&["openid"], false).await;
        let body = json!({
            "name": "Cached", "redirect_uris": ["https://cached.example/cb"], "grant_types": ["client_credentials"],
        });
        let (status, created) = app.json("POST", API, &w.key, Some(body)).await;
        assert_eq!(status, 201, "{created}");
        rp.client_id = created["client"]["client_id"].as_str().expect("id").into();
        rp.secret = created["client_secret"].as_str().map(str::to_string);
        let grant = [("grant_type", "client_credentials")];
        assert_eq!(w.form("/identity/token", &grant, &[rp.basic()]).await.0, 200, "cached now");
        let (status, rotated) = app.json("POST", &format!("{API}/{}/secret", rp.client_id), &w.key, None).await;
        assert_eq!(status, 200, "{rotated}");
        assert_eq!(w.form("/identity/token", &grant, &[rp.basic()]).await.0, 401, "the old secret");
        rp.secret = rotated["client_secret"].as_str().map(str::to_string);
        assert_eq!(w.form("/identity/token", &grant, &[rp.basic()]).await.0, 200, "the new one");
        assert_eq!(app.json("DELETE", &format!("{API}/{}", rp.client_id), &w.key, None).await.0, 204);
        assert_eq!(w.form("/identity/token", &grant, &[rp.basic()]).await.0, 401, "deleted");
    }
}

#[tokio::test]
async fn a_clients_own_tokens_leave_no_row_until_revoked() {
    for w in worlds().await {
        let app = &w.app;
        let body = json!({
            "name": "Own tokens", "redirect_uris": ["https://own.example/cb"], "grant_types": ["client_credentials"],
        });
        let (_, created) = app.json("POST", API, &w.key, Some(body)).await;
        let rp = Rp::from_created(&created, "https://own.example/cb");
        let other = w.confidential(&["openid"], false).await;
        let (status, tokens, _) =
            w.form("/identity/token", &[("grant_type", "client_credentials")], &[rp.basic()]).await;
        assert_eq!(status, 200, "{tokens}");
        let access = tokens["access_token"].as_str().expect("access").to_string();
        assert_eq!(access_rows(&w, &rp.client_id).await, 0, "nothing written for a client's own token");
        let active = introspect(&w, &rp, &access).await;
        assert_eq!((active["active"].as_bool(), active["sub"].as_str()), (Some(true), Some(rp.client_id.as_str())));
        assert_eq!(introspect(&w, &other, &access).await, json!({"active": false}), "another client's");
        assert_eq!(w.form("/identity/revoke", &[("token", access.as_str())], &[other.basic()]).await.0, 200);
        assert_eq!(introspect(&w, &rp, &access).await["active"], true, "another client cannot revoke it");
        assert_eq!(w.form("/identity/revoke", &[("token", access.as_str())], &[rp.basic()]).await.0, 200);
        assert_eq!(introspect(&w, &rp, &access).await["active"], false, "revoked");
        assert_eq!(access_rows(&w, &rp.client_id).await, 1, "one row: the revocation");
        assert_eq!(w.form("/identity/revoke", &[("token", access.as_str())], &[rp.basic()]).await.0, 200, "twice");
    }
}

#[tokio::test]
async fn racing_exchanges_of_one_code_spend_it_once_and_revoke_what_it_gave() {
    for w in worlds().await {
        let rp = w.confidential(&["openid", "email"], false).await;
        let ana = w.person("ana@example.org").await;
        let mut browser = Browser::new(&w.app).await;
        // Several codes exchanged at once: the group committer writes them together.
        let mut codes = Vec::new();
        for _ in 0..4 {
            let location = browser.authorize(&rp.authorize(&[]), &ana).await;
            codes.push(code_of(&w, &location, &rp));
        }
        let (a, b, c, d) = tokio::join!(
            exchange(&w, &rp, &codes[0], None),
            exchange(&w, &rp, &codes[1], None),
            exchange(&w, &rp, &codes[2], None),
            exchange(&w, &rp, &codes[3], None),
        );
        let answers = [a, b, c, d];
        assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
        assert_eq!(access_rows(&w, &rp.client_id).await, 4, "a row per user access token");

        let location = browser.authorize(&rp.authorize(&[]), &ana).await;
        let code = code_of(&w, &location, &rp);
        let (a, b) = tokio::join!(exchange(&w, &rp, &code, None), exchange(&w, &rp, &code, None));
        let mut statuses = [a.0, b.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 400], "one exchange wins: {a:?} {b:?}");
        let winner = if a.0 == 200 { a.1 } else { b.1 };
        let access = winner["access_token"].as_str().expect("access");
        assert_eq!(introspect(&w, &rp, access).await["active"], false, "the replay revoked what the code gave");
        assert!(w.audit_actions().await.contains(&"identity.code.replayed".to_string()));
    }
}
