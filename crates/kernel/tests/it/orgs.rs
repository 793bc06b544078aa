//! Organisations, members, API keys and sessions through the kernel's services.

use publica_kernel::Kernel;
use publica_kernel::audit::Actor;
use publica_kernel::domain::{Email, OrgKind, Roles, Slug};
use publica_kernel::error::Error;
use publica_kernel::testing::TestApp;

#[tokio::test]
async fn api_keys_are_scoped_hashed_and_revocable() {
    for app in TestApp::each(&[]).await {
        let k = &app.kernel;
        let actor = Actor::operator();
        let org = k
            .create_organisation(
                &actor,
                &Slug::parse("slug", "tax-office").expect("slug"),
                "Tax Office",
                OrgKind::Agency,
            )
            .await
            .expect("org");
        let (key, token) = k.create_api_key(&actor, org.id, "kernel", "ci").await.expect("key");
        assert!(token.starts_with("publica_kernel_") && token.len() > 50);
        assert!(token.starts_with(&key.token_prefix));
        let principal = k.authenticate_api_key(&token, "kernel").await.expect("authenticates");
        assert_eq!(principal.org_id, org.id);
        assert!(
            matches!(k.authenticate_api_key(&token, "notify").await, Err(Error::Forbidden(_))),
            "scoped to its block"
        );
        assert!(matches!(
            k.authenticate_api_key("publica_kernel_wrong", "kernel").await,
            Err(Error::Unauthenticated(_))
        ));
        let listed = k.api_keys(org.id).await.expect("list");
        assert!(listed[0].last_used_at.is_some(), "{}: last use recorded", app.backend);
        k.revoke_api_key(&actor, org.id, key.id).await.expect("revoke");
        assert!(matches!(k.authenticate_api_key(&token, "kernel").await, Err(Error::Unauthenticated(_))));
        assert!(matches!(k.revoke_api_key(&actor, org.id, key.id).await, Err(Error::NotFound(_))));
        let stored: Vec<u8> = match k.db() {
            publica_kernel::db::Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT token_hash FROM kernel_api_keys").fetch_one(p).await.expect("row")
            }
            publica_kernel::db::Db::Postgres(p) => {
                sqlx::query_scalar("SELECT token_hash FROM kernel_api_keys").fetch_one(p).await.expect("row")
            }
        };
        assert_ne!(stored, token.as_bytes(), "only a hash is stored");
    }
}

/// An agency with one plain member; returns the organisation and member ids.
async fn city_with_member(k: &Kernel) -> (uuid::Uuid, uuid::Uuid) {
    let actor = Actor::operator();
    let org = k
        .create_organisation(&actor, &Slug::parse("slug", "city").expect("slug"), "City", OrgKind::Agency)
        .await
        .expect("org");
    let roles = Roles::parse_list("roles", &["member".into()]).expect("roles");
    let member = k
        .add_member(&actor, org.id, &Email::parse("email", "a@city.example").expect("email"), "A", &roles)
        .await
        .expect("member");
    (org.id, member.id)
}

#[tokio::test]
async fn sessions_end_when_a_member_is_disabled_and_links_expire() {
    for app in TestApp::each_with(&[], |c| c.session.login_link_ttl_minutes = 0).await {
        let (_, member) = city_with_member(&app.kernel).await;
        let expired = app.kernel.issue_login_link(&Actor::operator(), member).await.expect("link");
        assert!(
            matches!(app.kernel.redeem_login_link(&expired).await, Err(Error::Unauthenticated(_))),
            "{}: a zero-minute link is expired",
            app.backend
        );
        assert!(app.kernel.purge_expired_sessions().await.expect("purge") >= 1, "the expired link is purged");
        assert_eq!(app.kernel.purge_expired_sessions().await.expect("purge"), 0);
    }
    for app in TestApp::each(&[]).await {
        let k = &app.kernel;
        let actor = Actor::operator();
        let (org, member) = city_with_member(k).await;
        let link = k.issue_login_link(&actor, member).await.expect("link");
        let session = k.redeem_login_link(&link).await.expect("session");
        let staff = k.session(&session).await.expect("lookup").expect("signed in");
        assert_eq!(staff.org_id, org);
        assert!(staff.require("member").is_ok() && staff.require("admin").is_err());
        k.disable_member(&actor, org, member).await.expect("disable");
        assert!(k.session(&session).await.expect("lookup").is_none(), "{}: disabling ends sessions", app.backend);
        assert!(k.issue_login_link(&actor, member).await.is_err());
    }
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_problem_json() {
    for app in TestApp::each_with(&[], |c| c.http.body_limit_bytes = 64).await {
        let actor = Actor::operator();
        let org = app
            .kernel
            .create_organisation(&actor, &Slug::parse("slug", "city").expect("slug"), "City", OrgKind::Agency)
            .await
            .expect("org");
        let (_, token) = app.kernel.create_api_key(&actor, org.id, "kernel", "ci").await.expect("key");
        let big = serde_json::json!({ "email": "a@city.example", "name": "x".repeat(100), "roles": ["member"] });
        let (status, problem) = app.json("POST", "/api/kernel/v1/members", &token, Some(big)).await;
        assert_eq!(status, 413, "{}: {problem}", app.backend);
        assert!(problem["type"].as_str().is_some_and(|t| t.ends_with("/too-large")));
        let small = serde_json::json!({ "email": "a@city.example", "name": "A", "roles": [] });
        assert_eq!(app.json("POST", "/api/kernel/v1/members", &token, Some(small)).await.0, 201);
    }
}

#[tokio::test]
async fn sealed_keys_open_for_their_block_and_never_work_as_bearer_tokens() {
    use publica_kernel::sealed_keys::SealedKeySpec;
    for app in TestApp::each(&[]).await {
        let k = &app.kernel;
        let actor = Actor::operator();
        let org = k
            .create_organisation(&actor, &Slug::parse("slug", "post").expect("slug"), "Post", OrgKind::Agency)
            .await
            .expect("org");
        let spec = SealedKeySpec { org_id: org.id, block: "kernel", subject: "service-1", kind: "team", name: "ci" };
        let key = k.insert_sealed_api_key(&actor, spec, "s3cret-value-of-36-characters-long!!").await.expect("key");
        let keys = k.sealed_api_keys("kernel", "service-1").await.expect("keys");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].secret, b"s3cret-value-of-36-characters-long!!");
        assert_eq!((keys[0].key.kind.as_deref(), keys[0].key.subject.as_deref()), (Some("team"), Some("service-1")));
        assert!(k.sealed_api_keys("kernel", "service-2").await.expect("keys").is_empty(), "scoped to its subject");
        assert!(
            matches!(
                k.authenticate_api_key("s3cret-value-of-36-characters-long!!", "kernel").await,
                Err(Error::Unauthenticated(_))
            ),
            "a sealed secret is not a bearer token"
        );
        let sealed: Vec<u8> = publica_kernel::on_db!(k.db(), pool => sqlx::query_scalar(
            "SELECT secret_sealed FROM kernel_api_keys WHERE id = $1").bind(key.id).fetch_one(pool).await)
        .expect("row");
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"), "stored sealed, not in clear");
    }
}
