//! Client management: the API (identity API keys of the owning organisation; problem+json
//! naming the field; the secret shown once and rotated), the staff pages (roles, the form's
//! errors, the secret page), and what a registration may not do.

use publica_identity::oidc::{ClientSettings, Manager, NewClient};
use publica_kernel::testing::Browser as StaffBrowser;
use serde_json::json;

use super::support::worlds;

const API: &str = "/api/identity/v1/clients";

#[tokio::test]
async fn the_api_registers_shows_updates_rotates_and_deletes_clients_of_the_keys_organisation() {
    for w in worlds().await {
        let app = &w.app;
        let (status, _) = app.json("GET", API, "", None).await;
        assert_eq!(status, 401);
        let kernel_key =
            publica_kernel::demo::api_key(&app.kernel, w.org, "kernel", "k", "kernel:tax-office").await.expect("key");
        let (status, _) = app.json("GET", API, &kernel_key, None).await;
        assert!(matches!(status, 401 | 403), "a kernel key does not open the identity API: {status}");

        let registration = json!({
            "name": "Tax return",
            "redirect_uris": ["https://tax.example/callback"],
            "post_logout_redirect_uris": ["https://tax.example/bye"],
            "scopes": ["openid", "email", "profile"],
            "grant_types": ["authorization_code", "client_credentials"],
        });
        let (status, created) = app.json("POST", API, &w.key, Some(registration.clone())).await;
        assert_eq!(status, 201, "{created}");
        let client_id = created["client"]["client_id"].as_str().expect("id").to_string();
        let secret = created["client_secret"].as_str().expect("secret shown once").to_string();
        assert!(secret.len() >= 43 && client_id.len() >= 20, "random id and secret");
        assert_eq!(created["client"]["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(created["client"]["subject_type"], "pairwise");
        assert_eq!(created["client"]["sector_identifier"], "tax.example");
        assert_eq!(created["client"]["id_token_signed_response_alg"], "RS256");
        assert_eq!(created["client"]["has_secret"], true);
        assert!(created["client"].get("secret_hash").is_none());

        let (status, list) = app.json("GET", API, &w.key, None).await;
        assert_eq!(status, 200);
        assert!(list["clients"].as_array().expect("list").iter().any(|c| c["client_id"] == client_id.as_str()));
        assert!(list.to_string().find(&secret).is_none(), "the secret is never shown again");
        let (status, one) = app.json("GET", &format!("{API}/{client_id}"), &w.key, None).await;
        assert_eq!((status, one["client"]["name"].as_str()), (200, Some("Tax return")));

        // Bad fields are named.
        for (bad, field) in [
            (json!({"name": "x", "redirect_uris": ["http://tax.example/cb"]}), "redirect_uris/0"),
            (
                json!({"name": "x", "redirect_uris": ["https://tax.example/cb"], "token_endpoint_auth_method": "magic"}),
                "token_endpoint_auth_method",
            ),
            (
                json!({"name": "x", "redirect_uris": ["https://tax.example/cb"], "subject_type": "public"}),
                "subject_type",
            ),
            (json!({"name": "", "redirect_uris": ["https://tax.example/cb"]}), "name"),
        ] {
            let (status, problem) = app.json("POST", API, &w.key, Some(bad)).await;
            assert_eq!(status, 422, "{problem}");
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
        let (status, problem) = app
            .json(
                "POST",
                API,
                &w.key,
                Some(json!({"name": "x", "redirect_uris": ["https://a.example/cb"], "colour": 1})),
            )
            .await;
        assert_eq!(status, 422, "unknown fields are refused: {problem}");
        assert!(problem.to_string().contains("colour"), "{problem}");

        // A client of the client's own: credentials work, then stop working after rotation.
        let basic = |secret: &str| {
            format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{client_id}:{secret}"))
            )
        };
        let grant = [("grant_type", "client_credentials")];
        let (status, _, _) = w.form("/identity/token", &grant, &[("authorization", basic(&secret))]).await;
        assert_eq!(status, 200);
        let (status, rotated) = app.json("POST", &format!("{API}/{client_id}/secret"), &w.key, None).await;
        assert_eq!(status, 200, "{rotated}");
        let new_secret = rotated["client_secret"].as_str().expect("new secret");
        assert_ne!(new_secret, secret);
        let (status, body, _) = w.form("/identity/token", &grant, &[("authorization", basic(&secret))]).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
        let (status, _, _) = w.form("/identity/token", &grant, &[("authorization", basic(new_secret))]).await;
        assert_eq!(status, 200);

        let mut update = registration.clone();
        update["name"] = json!("Tax return 2026");
        update["simulate"] = json!("wrong_nonce");
        let (status, updated) = app.json("PUT", &format!("{API}/{client_id}"), &w.key, Some(update)).await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["client"]["simulate"], "wrong_nonce");
        assert_eq!(updated["client"]["name"], "Tax return 2026");

        // Another organisation's key sees nothing of it.
        let other = app.kernel.organisation_by_slug("health-fund").await.expect("read").expect("org").id;
        let other_key =
            publica_kernel::demo::api_key(&app.kernel, other, "identity", "k", "identity:health").await.expect("key");
        let (status, _) = app.json("GET", &format!("{API}/{client_id}"), &other_key, None).await;
        assert_eq!(status, 404);
        let (status, _) = app.json("DELETE", &format!("{API}/{client_id}"), &other_key, None).await;
        assert_eq!(status, 404);
        let (_, list) = app.json("GET", API, &other_key, None).await;
        assert_eq!(list["clients"].as_array().expect("list").len(), 0);

        let (status, _) = app.json("DELETE", &format!("{API}/{client_id}"), &w.key, None).await;
        assert_eq!(status, 204);
        let (status, _) = app.json("GET", &format!("{API}/{client_id}"), &w.key, None).await;
        assert_eq!(status, 404);
        let (status, _, _) = w.form("/identity/token", &grant, &[("authorization", basic(new_secret))]).await;
        assert_eq!(status, 401, "a deleted client cannot authenticate");

        let actions = w.audit_actions().await;
        for action in [
            "identity.client.registered",
            "identity.client.secret_rotated",
            "identity.client.updated",
            "identity.client.deleted",
        ] {
            assert!(actions.contains(&action.to_string()), "{action} audited");
        }
    }
}

#[tokio::test]
async fn the_demo_can_choose_a_client_id_and_secret() {
    for w in worlds().await {
        let mut new = NewClient::new(ClientSettings::new("Demoland Tax Office", &["http://127.0.0.1:8400/callback"]));
        new.client_id = Some("demo-tax-office".into());
        new.client_secret = Some("demo-secret-of-the-tax-office-0123456789".into());
        let (client, secret) =
            w.identity.register_client(&Manager::operator(), w.org, new.clone()).await.expect("registered");
        assert_eq!(client.client_id, "demo-tax-office");
        assert_eq!(secret.as_deref(), Some("demo-secret-of-the-tax-office-0123456789"));
        let again = w.identity.register_client(&Manager::operator(), w.org, new).await;
        assert!(matches!(again, Err(publica_kernel::error::Error::Conflict(_))), "the same client id twice");
        let mut public = NewClient::new(ClientSettings::new("Public app", &["http://127.0.0.1:8401/callback"]));
        public.settings.token_endpoint_auth_method = Some("none".into());
        public.client_secret = Some("x".repeat(40));
        assert!(
            w.identity.register_client(&Manager::operator(), w.org, public).await.is_err(),
            "a public client has no secret"
        );
    }
}

#[tokio::test]
async fn staff_pages_list_register_edit_rotate_and_delete_with_roles() {
    for w in worlds().await {
        let admin = StaffBrowser::signed_in(&w.app, "inspector@tax.demoland.example").await;
        let list = admin.get("/identity/clients").await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert!(list.body.contains("href=\"/identity/clients/new\""));
        let form = admin.get("/identity/clients/new").await;
        assert_eq!(form.status, 200);
        assert!(
            form.body.contains("for=\"client-redirect-uris\"")
                && form.body.contains("aria-describedby=\"client-redirect-uris-hint\"")
        );
        assert!(!form.body.contains("value=\"public\""), "public identifiers are the platform operator's");

        let bad = admin
            .post("/identity/clients", &[("name", "Tax"), ("redirect_uris", "http://tax.example/cb"), ("jwks", "")])
            .await;
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert!(bad.body.contains("href=\"#client-redirect-uris\"") && bad.body.contains("aria-invalid=\"true\""));
        assert!(bad.body.contains("http://tax.example/cb"), "what was typed comes back");
        let not_json = admin
            .post(
                "/identity/clients",
                &[("name", "Tax"), ("redirect_uris", "https://tax.example/cb"), ("jwks", "{keys")],
            )
            .await;
        assert_eq!(not_json.status, 422);
        assert!(not_json.body.contains("href=\"#client-jwks\""));

        let done = admin
            .post(
                "/identity/clients",
                &[
                    ("name", "Tax return"),
                    ("redirect_uris", "https://tax.example/cb\nhttps://tax.example/cb2"),
                    ("token_endpoint_auth_method", "client_secret_post"),
                    ("id_token_signed_response_alg", "ES256"),
                    ("scopes", "openid"),
                    ("scopes", "email"),
                    ("grant_types", "authorization_code"),
                    ("grant_types", "client_credentials"),
                    ("simulate", "none"),
                    ("resources", "https://api.tax.example/\n\n"),
                ],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.header("cache-control"), "no-store");
        let clients = w.identity.clients(&Manager::operator()).await.expect("clients");
        let client = clients.iter().find(|c| c.name == "Tax return").expect("registered");
        assert!(done.body.contains(&client.client_id));
        assert_eq!(client.redirect_uris, vec!["https://tax.example/cb", "https://tax.example/cb2"]);
        assert_eq!(client.id_token_signed_response_alg.as_str(), "ES256");
        assert_eq!(client.scopes, vec!["openid", "email"]);
        assert!(client.has_secret);

        let stored = w.identity.managed_stored_client(&Manager::operator(), &client.client_id).await.expect("stored");
        assert_eq!(stored.resources, vec!["https://api.tax.example/"]);

        let edit = admin.get(&format!("/identity/clients/{}", client.client_id)).await;
        assert_eq!(edit.status, 200);
        assert!(edit.body.contains("https://tax.example/cb2"));
        assert!(
            edit.body.contains("for=\"client-resources\"")
                && edit.body.contains(">https://api.tax.example/</textarea>")
        );
        // The edit form as the page sends it, with a simulator setting and resources.
        let edit_form = |simulate: &'static str, resources: &'static str| {
            vec![
                ("name", "Tax return"),
                ("redirect_uris", "https://tax.example/cb"),
                ("token_endpoint_auth_method", "client_secret_post"),
                ("scopes", "openid"),
                ("grant_types", "authorization_code"),
                ("simulate", simulate),
                ("resources", resources),
            ]
        };
        let client_page = format!("/identity/clients/{}", client.client_id);
        let bad_resource = admin.post(&client_page, &edit_form("none", "https://api.tax.example/#part")).await;
        assert_eq!(bad_resource.status, 422, "{}", bad_resource.body);
        assert!(bad_resource.body.contains("href=\"#client-resources\""), "{}", bad_resource.body);
        let unchanged =
            w.identity.managed_stored_client(&Manager::operator(), &client.client_id).await.expect("stored");
        assert_eq!(unchanged.resources, vec!["https://api.tax.example/"], "nothing saved");
        let saved = admin.post(&client_page, &edit_form("expired", "")).await;
        assert_eq!(saved.status, 303, "{}", saved.body);
        assert_eq!(saved.location(), "/identity/clients?done=updated");
        assert_eq!(w.identity.client(&client.client_id).await.expect("client").simulate.as_str(), "expired");
        let cleared = w.identity.managed_stored_client(&Manager::operator(), &client.client_id).await.expect("stored");
        assert!(cleared.resources.is_empty(), "an empty box registers no resource");
        let rotated = admin.post(&format!("/identity/clients/{}/rotate", client.client_id), &[]).await;
        assert_eq!(rotated.status, 200);
        assert_eq!(rotated.header("cache-control"), "no-store");

        // A member without the admin role sees the list, but changes nothing.
        let member = StaffBrowser::signed_in(&w.app, "auditor@tax.demoland.example").await;
        let seen = member.get("/identity/clients").await;
        assert_eq!(seen.status, 200);
        assert!(seen.body.contains("Tax return") && !seen.body.contains("/identity/clients/new"));
        assert_eq!(member.get("/identity/clients/new").await.status, 403);
        assert_eq!(member.post(&format!("/identity/clients/{}/delete", client.client_id), &[]).await.status, 403);
        // Another organisation's admin does not see it.
        let other = StaffBrowser::signed_in(&w.app, "case-worker@health.demoland.example").await;
        assert!(!other.get("/identity/clients").await.body.contains("Tax return"));
        assert_eq!(other.get(&format!("/identity/clients/{}", client.client_id)).await.status, 404);
        // Nobody signed in goes to sign in.
        let anonymous = StaffBrowser::anonymous(&w.app).await;
        assert_eq!(anonymous.get("/identity/clients").await.status, 303);

        let deleted = admin.post(&format!("/identity/clients/{}/delete", client.client_id), &[]).await;
        assert_eq!(deleted.status, 303);
        assert!(w.identity.client(&client.client_id).await.is_err());
        let french = StaffBrowser::signed_in(&w.app, "inspector@tax.demoland.example").await.in_french();
        assert!(french.get("/identity/clients/new").await.body.contains("Adresses de retour"));
    }
}
