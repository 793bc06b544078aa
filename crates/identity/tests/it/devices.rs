//! Remembered devices: "Remember this device for N days" at the second step, the second factor
//! skipped on that browser afterwards (`aal2` within 24 hours of the last full sign-in there,
//! `aal1` after), never for `aal3`, a flow needing the verified identity, or staff; listed and
//! forgotten from the account page; forgotten by a password change and by signing out
//! everywhere; off with `remember_device_days = 0`.

use publica_identity::accounts::NewAccount;
use publica_identity::domain::{Aal, AccountKind};
use publica_kernel::db::Timestamp;
use publica_kernel::on_db;
use serde_json::json;
use uuid::Uuid;

use super::webauthn::{Client, PASSWORD, World, totp_now, worlds, worlds_with};

const DEVICE: &str = "publica_id_device";

/// Password and code with "remember this device" ticked.
async fn sign_in_remembering(w: &World, browser: &mut Client<'_>, account: Uuid, email: &str) {
    w.reuse_totp(account).await;
    let first = browser.sign_in(email, "/identity/account").await;
    assert_eq!(first.location(), "/identity/sign-in/mfa", "{}", first.body);
    let step = browser.get("/identity/sign-in/mfa").await;
    assert!(step.body.contains("Remember this device for 30 days"), "{}", step.body);
    let done = browser
        .post("/identity/sign-in/mfa", &[("code", &totp_now()), ("return_to", "/identity/account"), ("remember", "1")])
        .await;
    assert_eq!(done.location(), "/identity/account", "{}", done.body);
    assert!(browser.cookies.contains_key(DEVICE), "the device cookie is set");
    let set = done.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find(|c| c.starts_with(DEVICE));
    let set = set.expect("a device cookie");
    assert!(set.contains("HttpOnly") && set.contains("Path=/identity") && set.contains("Max-Age=2592000"), "{set}");
}

async fn sign_out(browser: &mut Client<'_>) {
    browser.post("/identity/sign-out", &[]).await;
    assert!(!browser.cookies.contains_key("publica_id"));
}

async fn age_devices(w: &World, account: Uuid, hours: i64) {
    let at = Timestamp::now().plus(time::Duration::hours(-hours));
    on_db!(w.app.kernel.db(), pool => sqlx::query("UPDATE identity_remembered_devices SET mfa_at = $1 WHERE account_id = $2")
        .bind(at).bind(account).execute(pool).await.map(|_| ()))
    .expect("age the devices");
}

#[tokio::test]
async fn a_remembered_device_skips_the_second_step_at_aal2_for_a_day_then_at_aal1() {
    for w in worlds().await {
        let account = w.account("hana@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        sign_in_remembering(&w, &mut browser, account, "hana@example.org").await;
        let listed = browser.get("/identity/account").await;
        assert!(listed.body.contains("Remembered devices") && listed.body.contains("TestBrowser"));
        assert!(listed.body.contains("(this browser)"));
        assert!(w.audit_actions().await.contains(&"identity.account.device_remembered".to_string()));
        sign_out(&mut browser).await;

        // The password alone, on this browser: no second step, aal2, amr says only the password.
        let again = browser.sign_in("hana@example.org", "/identity/account").await;
        assert_eq!(again.location(), "/identity/account");
        let session = browser.signed_in(&w.identity).await.expect("signed in");
        assert_eq!(session.aal, Aal::Aal2);
        assert_eq!(session.amr, vec!["pwd"], "a remembered device is not a fresh second factor");
        assert!(w.activity_kinds(account).await.contains(&"sign-in.remembered-device".to_string()));
        sign_out(&mut browser).await;

        // A day later: enough for aal1 only; a service asking for aal2 gets the second step,
        // which renews the day.
        age_devices(&w, account, 25).await;
        assert_eq!(browser.sign_in("hana@example.org", "/identity/account").await.location(), "/identity/account");
        assert_eq!(browser.signed_in(&w.identity).await.expect("session").aal, Aal::Aal1);
        sign_out(&mut browser).await;
        let aal2 = browser
            .post(
                "/identity/sign-in",
                &[
                    ("email", "hana@example.org"),
                    ("password", PASSWORD),
                    ("return_to", "/identity/account"),
                    ("aal", "aal2"),
                ],
            )
            .await;
        assert_eq!(aal2.location(), "/identity/sign-in/mfa");
        w.reuse_totp(account).await;
        let done =
            browser.post("/identity/sign-in/mfa", &[("code", &totp_now()), ("return_to", "/identity/account")]).await;
        assert_eq!(done.location(), "/identity/account");
        sign_out(&mut browser).await;
        assert_eq!(browser.sign_in("hana@example.org", "/identity/account").await.location(), "/identity/account");
        assert_eq!(browser.signed_in(&w.identity).await.expect("session").aal, Aal::Aal2, "renewed");

        // Another browser without the cookie, and another account on this one, get the step.
        let mut other = Client::new(&w.app).await;
        assert_eq!(other.sign_in("hana@example.org", "/identity/account").await.location(), "/identity/sign-in/mfa");
        w.account("ivo@example.org", true).await;
        sign_out(&mut browser).await;
        assert_eq!(browser.sign_in("ivo@example.org", "/identity/account").await.location(), "/identity/sign-in/mfa");
    }
}

#[tokio::test]
async fn levels_that_forbid_it_ask_for_the_second_factor_anyway() {
    for w in worlds().await {
        let account = w.account("jo@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        sign_in_remembering(&w, &mut browser, account, "jo@example.org").await;
        sign_out(&mut browser).await;

        // aal3: never (and without a device-bound key it cannot be reached at all).
        let aal3 = browser
            .post(
                "/identity/sign-in",
                &[
                    ("email", "jo@example.org"),
                    ("password", PASSWORD),
                    ("return_to", "/identity/account"),
                    ("aal", "aal3"),
                ],
            )
            .await;
        assert_ne!(aal3.location(), "/identity/account");
        assert!(browser.signed_in(&w.identity).await.is_none());

        // Identity proofing, and a client asking for the verified identity: the second step.
        let proofing = browser.sign_in("jo@example.org", "/identity/proofing").await;
        assert_eq!(proofing.location(), "/identity/sign-in/mfa");
        let step = browser.get("/identity/sign-in/mfa").await;
        assert!(!step.body.contains("id=\"remember\""), "not offered for a verified flow");
        browser.cookies.remove("publica_id_flow");

        let verified = interaction(&w, "urn:acr.login.gov:verified", "verified").await;
        let to = format!("/identity/authorize/continue/{verified}");
        assert_eq!(browser.sign_in("jo@example.org", &to).await.location(), "/identity/sign-in/mfa");
        browser.cookies.remove("publica_id_flow");
        let auth_only = interaction(&w, "urn:acr.login.gov:auth-only", "none").await;
        let to = format!("/identity/authorize/continue/{auth_only}");
        assert_eq!(browser.sign_in("jo@example.org", &to).await.location(), to, "auth-only: skipped");
    }
}

/// An authorization in progress asking for `acr` (its identity level `ial`), as the provider
/// stores it.
async fn interaction(w: &World, acr: &str, ial: &str) -> String {
    let id = Uuid::new_v4().simple().to_string();
    let request: publica_identity::oidc::request::AuthRequest = serde_json::from_value(json!({
        "client_id": "tax-office", "redirect_uri": "http://127.0.0.1:8400/callback", "scopes": ["openid"],
        "state": null, "nonce": null, "code_challenge": null, "prompt": [], "max_age": null, "claims": null,
        "ui_locales": null, "login_hint": null,
        "levels": { "vocabulary": "acr", "candidates": [acr], "needed_ial": ial, "needed_aal": "aal1" },
    }))
    .expect("request");
    let now = Timestamp::now();
    publica_identity::oidc::store::flow::insert_interaction(
        w.app.kernel.db(),
        &id,
        &request,
        now,
        now.plus(time::Duration::minutes(10)),
    )
    .await
    .expect("interaction");
    id
}

#[tokio::test]
async fn staff_accounts_are_never_remembered() {
    for w in worlds().await {
        let email = publica_kernel::domain::Email::parse("email", "operator@digital.demoland.example").expect("email");
        let member = w.app.kernel.memberships(&email).await.expect("memberships").remove(0);
        let new = NewAccount {
            kind: AccountKind::Staff,
            email: "staff.member@example.org".into(),
            email_verified: true,
            password: PASSWORD.into(),
            name: None,
            phone: None,
            member_id: Some(member.id),
        };
        let account = w.identity.create_account(new).await.expect("staff account");
        w.identity.enrol_totp_secret(account, super::webauthn::TOTP_SECRET).await.expect("totp");
        let mut browser = Client::new(&w.app).await;
        browser.sign_in("staff.member@example.org", "/identity/account").await;
        let step = browser.get("/identity/sign-in/mfa").await;
        assert!(!step.body.contains("id=\"remember\""));
        let done = browser
            .post(
                "/identity/sign-in/mfa",
                &[("code", &totp_now()), ("return_to", "/identity/account"), ("remember", "1")],
            )
            .await;
        assert_eq!(done.location(), "/identity/account");
        assert!(!browser.cookies.contains_key(DEVICE), "a remember asked for anyway is ignored");
    }
}

#[tokio::test]
async fn devices_are_forgotten_one_by_one_all_at_once_and_by_a_password_change_or_signing_out_everywhere() {
    for w in worlds().await {
        let account = w.account("kim@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        sign_in_remembering(&w, &mut browser, account, "kim@example.org").await;
        let devices = w.identity.remembered_devices(account).await.expect("devices");
        assert_eq!(devices.len(), 1);
        let forgotten = browser.post(&format!("/identity/account/devices/{}/forget", devices[0].id), &[]).await;
        assert_eq!(forgotten.location(), "/identity/account#devices-heading");
        assert!(w.identity.remembered_devices(account).await.expect("devices").is_empty());
        sign_out(&mut browser).await;
        assert_eq!(browser.sign_in("kim@example.org", "/identity/account").await.location(), "/identity/sign-in/mfa");
        browser.cookies.remove("publica_id_flow");

        // Forget all: the list empties and this browser's cookie goes.
        sign_in_remembering(&w, &mut browser, account, "kim@example.org").await;
        let all = browser.post("/identity/account/devices/forget-all", &[]).await;
        assert_eq!(all.location(), "/identity/account#devices-heading");
        assert!(!browser.cookies.contains_key(DEVICE));
        assert!(w.identity.remembered_devices(account).await.expect("devices").is_empty());
        sign_out(&mut browser).await;

        // A password change forgets them.
        sign_in_remembering(&w, &mut browser, account, "kim@example.org").await;
        let changed = browser
            .post(
                "/identity/account/password",
                &[("current_password", PASSWORD), ("password", "seven quiet otters at noon")],
            )
            .await;
        assert_eq!(changed.status, 200, "{}", changed.body);
        assert!(w.identity.remembered_devices(account).await.expect("devices").is_empty());
        assert!(w.audit_actions().await.contains(&"identity.account.devices_forgotten".to_string()));
        sign_out(&mut browser).await;
        let after = browser
            .post(
                "/identity/sign-in",
                &[
                    ("email", "kim@example.org"),
                    ("password", "seven quiet otters at noon"),
                    ("return_to", "/identity/account"),
                ],
            )
            .await;
        assert_eq!(after.location(), "/identity/sign-in/mfa", "the old cookie counts no more");
        w.reuse_totp(account).await;
        browser
            .post(
                "/identity/sign-in/mfa",
                &[("code", &totp_now()), ("return_to", "/identity/account"), ("remember", "1")],
            )
            .await;
        assert_eq!(w.identity.remembered_devices(account).await.expect("devices").len(), 1);

        // Signing out everywhere forgets them too.
        browser.post("/identity/account/sign-out-everywhere", &[]).await;
        assert!(w.identity.remembered_devices(account).await.expect("devices").is_empty());
    }
}

#[tokio::test]
async fn a_remembered_sign_in_at_aal1_cannot_add_a_security_key() {
    for w in worlds().await {
        let account = w.account("lou@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        sign_in_remembering(&w, &mut browser, account, "lou@example.org").await;
        sign_out(&mut browser).await;
        age_devices(&w, account, 48).await;
        browser.sign_in("lou@example.org", "/identity/account").await;
        assert_eq!(browser.signed_in(&w.identity).await.expect("session").aal, Aal::Aal1);
        let (status, body) = browser.json("/identity/webauthn/register/options", json!({ "name": "Key" })).await;
        assert_eq!(status, 403, "the second factor first: {body}");
        let page = browser.get("/identity/account").await;
        assert!(page.body.contains("Sign in again to add a security key or passkey"));
    }
}

#[tokio::test]
async fn zero_days_turns_remembering_off() {
    let off = |c: &mut publica_kernel::config::Config| {
        let mut identity = c.sections.get("identity").cloned().unwrap_or_else(|| json!({}));
        identity["remember_device_days"] = json!(0);
        c.sections.insert("identity".into(), identity);
    };
    for w in worlds_with(off).await {
        assert_eq!(w.identity.config().remember_device_days, 0);
        let account = w.account("max@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        browser.sign_in("max@example.org", "/identity/account").await;
        let step = browser.get("/identity/sign-in/mfa").await;
        assert!(!step.body.contains("id=\"remember\""));
        w.reuse_totp(account).await;
        browser
            .post(
                "/identity/sign-in/mfa",
                &[("code", &totp_now()), ("return_to", "/identity/account"), ("remember", "1")],
            )
            .await;
        assert!(!browser.cookies.contains_key(DEVICE));
    }
}

#[tokio::test]
async fn an_expired_device_counts_no_more_and_housekeeping_deletes_it() {
    for w in worlds().await {
        let account = w.account("noa@example.org", true).await;
        let mut browser = Client::new(&w.app).await;
        sign_in_remembering(&w, &mut browser, account, "noa@example.org").await;
        sign_out(&mut browser).await;
        let past = Timestamp::now().plus(time::Duration::minutes(-1));
        on_db!(w.app.kernel.db(), pool => sqlx::query("UPDATE identity_remembered_devices SET expires_at = $1 WHERE account_id = $2")
            .bind(past).bind(account).execute(pool).await.map(|_| ()))
        .expect("expire");
        assert_eq!(browser.sign_in("noa@example.org", "/identity/account").await.location(), "/identity/sign-in/mfa");
        assert!(w.identity.remembered_devices(account).await.expect("devices").is_empty());
        publica_identity::accounts::housekeeping(&w.identity).await.expect("housekeeping");
        let (left,): (i64,) = on_db!(w.app.kernel.db(), pool =>
            sqlx::query_as("SELECT COUNT(*) FROM identity_remembered_devices").fetch_one(pool).await)
        .expect("count");
        assert_eq!(left, 0);
    }
}
