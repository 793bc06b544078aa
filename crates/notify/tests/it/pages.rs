//! The notify block's pages in-process, on SQLite and PostgreSQL, signed in as Demoland's staff:
//! who may see and do what, saving templates as new versions with previews, API keys shown
//! once, the guest list, callbacks, and the public download page of files sent by email.

use std::sync::Arc;

use publica_kernel::audit::Actor;
use publica_kernel::db::Timestamp;
use publica_kernel::domain::{Email, Roles};
use publica_kernel::testing::{Browser, TestApp};
use publica_kernel::{Block, Kernel};
use publica_notify::NotifyBlock;
use publica_notify::api::auth::{make_token, split_key};
use publica_notify::store::{self, FileRow};
use serde_json::{Value, json};
use uuid::Uuid;

const INSPECTOR: &str = "inspector@tax.demoland.example";
const AUDITOR: &str = "auditor@tax.demoland.example";
const CLERK: &str = "clerk@interior.demoland.example";

async fn apps() -> Vec<(TestApp, Value)> {
    let mut out = Vec::new();
    for app in TestApp::each(&[Arc::new(NotifyBlock)]).await {
        let demo = seed(&app.kernel).await;
        out.push((app, demo));
    }
    out
}

async fn seed(kernel: &Kernel) -> Value {
    publica_kernel::block::KernelBlock.seed_demo(kernel).await.expect("kernel demo");
    NotifyBlock.seed_demo(kernel).await.expect("notify demo")
}

fn service_id(demo: &Value) -> String {
    demo["service_id"].as_str().expect("service id").to_string()
}

fn api_token(key: &str) -> String {
    let (service, secret) = split_key(key).expect("a Notify key");
    make_token(service, secret, time::OffsetDateTime::now_utc().unix_timestamp())
}

#[tokio::test]
async fn pages_are_for_the_service_team_and_actions_need_their_role() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let base = format!("/notify/services/{sid}");

        let anonymous = Browser::anonymous(&app).await;
        let page = anonymous.get(&base).await;
        assert_eq!((page.status, page.location()), (303, "/signin"), "{}: signed out", app.backend);

        // Another organisation's member: the service does not exist for them.
        let clerk = Browser::signed_in(&app, CLERK).await;
        let index = clerk.get("/notify").await;
        assert_eq!(index.status, 200);
        assert!(!index.body.contains("Demoland Tax Office"), "another organisation's services are not listed");
        for path in [base.clone(), format!("{base}/templates"), format!("{base}/api-keys")] {
            assert_eq!(clerk.get(&path).await.status, 404, "{path}");
        }
        assert_eq!(clerk.post(&format!("{base}/guest-list"), &[("recipient", "x@example.org")]).await.status, 404);

        // A member who is not an admin sees the service but not its keys and callbacks.
        let auditor = Browser::signed_in(&app, AUDITOR).await;
        let index = auditor.get("/notify").await;
        assert!(index.body.contains(&format!("href=\"{base}\"")), "{}", index.body);
        for path in [base.clone(), format!("{base}/notifications"), format!("{base}/templates"), format!("{base}/team")]
        {
            let page = auditor.get(&path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
        }
        let guests = auditor.get(&format!("{base}/guest-list")).await;
        assert_eq!(guests.status, 200);
        assert!(!guests.body.contains("name=\"recipient\""), "no form to edit the guest list");
        assert!(!guests.body.contains("/api-keys\""), "no link to API keys in the navigation");
        for path in [format!("{base}/api-keys"), format!("{base}/settings")] {
            assert_eq!(auditor.get(&path).await.status, 403, "{path}");
        }
        let denied = [
            (format!("{base}/api-keys"), vec![("name", "x"), ("key_type", "test")]),
            (format!("{base}/guest-list"), vec![("recipient", "x@example.org")]),
            (
                format!("{base}/settings"),
                vec![("kind", "delivery"), ("url", "https://a.example"), ("bearer_token", "0123456789")],
            ),
        ];
        for (path, form) in &denied {
            assert_eq!(auditor.post(path, form).await.status, 403, "{path}");
        }
        assert!(store::guest_list(app.kernel.db(), sid.parse().expect("id")).await.expect("guests").len() == 1);

        // The admin may; without the CSRF token, nobody may post.
        let inspector = Browser::signed_in(&app, INSPECTOR).await;
        for path in [format!("{base}/api-keys"), format!("{base}/settings")] {
            assert_eq!(inspector.get(&path).await.status, 200, "{path}");
        }
        let forged = inspector.post_raw(&format!("{base}/guest-list"), &[("recipient", "x@example.org")]).await;
        assert_eq!(forged.status, 403);
    }
}

#[tokio::test]
async fn saving_a_template_makes_a_new_version_and_previews_come_from_the_form() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let email = demo["templates"]["email"].as_str().expect("email template").to_string();
        let path = format!("/notify/services/{sid}/templates/{email}");
        let inspector = Browser::signed_in(&app, INSPECTOR).await;

        let page = inspector.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("sandbox=\"\" srcdoc=\""), "the email is previewed in a sandboxed frame");
        assert!(page.header("content-security-policy").contains("style-src 'self' 'unsafe-inline'"));
        let csp = page.header("content-security-policy");
        assert_eq!(directive(csp, "script-src"), Some("'self'"), "inline scripts stay forbidden: {csp}");

        let content = "Hello ((name)), your reference is ((reference)).";
        let form = |action: &'static str| {
            vec![
                ("name", "Tax return received"),
                ("subject", "About ((reference))"),
                ("content", content),
                ("p:name", "Ada"),
                ("action", action),
            ]
        };
        let preview = inspector.post(&path, &form("preview")).await;
        assert_eq!(preview.status, 200);
        assert!(preview.body.contains("Hello Ada, your reference is ((reference))."), "{}", preview.body);
        assert!(preview.body.contains("name=\"p:reference\""), "a sample field for each placeholder");
        let unchanged = store::template(app.kernel.db(), sid.parse().expect("id"), email.parse().expect("id"), None)
            .await
            .expect("template")
            .expect("exists");
        assert_eq!(unchanged.version, 1, "a preview saves nothing");

        let saved = inspector.post(&path, &form("save")).await;
        assert_eq!(saved.status, 303);
        assert_eq!(saved.location(), format!("{path}?saved=2"));
        let t = store::template(app.kernel.db(), sid.parse().expect("id"), email.parse().expect("id"), None)
            .await
            .expect("template")
            .expect("exists");
        assert_eq!((t.version, t.content.as_str(), t.subject.as_deref()), (2, content, Some("About ((reference))")));
        let page = inspector.get(saved.location()).await;
        assert!(page.body.contains("Version 2 was saved."));
        assert!(page.body.contains(&format!("href=\"{path}?version=1\"")), "the history links to version 1");
        let old = inspector.get(&format!("{path}?version=1")).await;
        assert!(old.body.contains("We have received your tax return."), "version 1's content in the form");
        assert!(old.body.contains("You are looking at version 1."));

        // Mistakes are shown next to their fields, in the visitor's language.
        let empty = [("name", " "), ("subject", ""), ("content", "x"), ("action", "save")];
        let refused = inspector.post(&path, &empty).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("href=\"#template-name\">Enter a name for the template</a>"), "{}", refused.body);
        assert!(refused.body.contains("<title>Error: "));
        let french = Browser::signed_in(&app, INSPECTOR).await.in_french();
        let refused = french.post(&path, &empty).await;
        assert!(refused.body.contains("Saisissez un nom pour le modèle"));
        assert!(refused.body.contains("Saisissez un objet"));

        // A new text message template: created at version 1, its length and cost shown.
        let new = format!("/notify/services/{sid}/templates/new?type=sms");
        assert_eq!(inspector.get(&new).await.status, 200);
        let long = "x".repeat(170);
        let preview = inspector.post(&new, &[("name", "Long"), ("content", &long), ("action", "preview")]).await;
        let service =
            store::service(app.kernel.db(), sid.parse().expect("id")).await.expect("service").expect("exists");
        // With the service's name before the message when the service uses that prefix.
        let characters = 170 + if service.sms_prefix { service.name.chars().count() + 2 } else { 0 };
        let expected = format!("{characters} characters, charged as 2 text messages.");
        assert!(preview.body.contains(&expected), "{expected}: {}", preview.body);
        let created =
            inspector.post(&new, &[("name", "Reminder"), ("content", "Hi ((name))"), ("action", "save")]).await;
        assert_eq!(created.status, 303);
        let (prefix, version) = created.location().split_once("?saved=").expect("saved");
        assert_eq!(version, "1");
        let tid: Uuid = prefix.rsplit('/').next().expect("id").parse().expect("uuid");
        let t =
            store::template(app.kernel.db(), sid.parse().expect("id"), tid, None).await.expect("t").expect("exists");
        assert_eq!((t.kind.as_str(), t.name.as_str()), ("sms", "Reminder"));

        // Letters: a PDF from the form, and from a saved version.
        let letter = demo["templates"]["letter"].as_str().expect("letter template");
        let letter_path = format!("/notify/services/{sid}/templates/{letter}");
        let form = [
            ("name", "Letter"),
            ("subject", "Your reference ((reference))"),
            ("content", "Dear ((name)),\n\nThank you."),
            ("postage", "first"),
            ("action", "pdf"),
        ];
        let pdf = inspector.post(&letter_path, &form).await;
        assert_eq!(pdf.status, 200);
        assert_eq!(pdf.header("content-type"), "application/pdf");
        assert!(pdf.bytes.starts_with(b"%PDF-"));
        let empty = [("name", "Letter"), ("subject", "S"), ("content", ""), ("action", "pdf")];
        let refused = inspector.post(&letter_path, &empty).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("The message is empty."));
        let saved = inspector.get(&format!("{letter_path}/letter.pdf?version=1")).await;
        assert_eq!(saved.status, 200);
        assert!(saved.bytes.starts_with(b"%PDF-"));
        // An auditor holds `member` too; someone without it could not open templates at all.
        let auditor = Browser::signed_in(&app, AUDITOR).await;
        assert_eq!(auditor.get(&format!("{letter_path}/letter.pdf")).await.status, 200);
    }
}

/// The value of a directive of a Content-Security-Policy.
fn directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';').map(str::trim).find_map(|d| d.strip_prefix(name)?.strip_prefix(' '))
}

#[tokio::test]
async fn the_live_preview_answers_with_the_preview_alone() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let email = demo["templates"]["email"].as_str().expect("email template").to_string();
        let path = format!("/notify/services/{sid}/templates/{email}");
        let endpoint = format!("{path}/preview?version=1");
        let inspector = Browser::signed_in(&app, INSPECTOR).await;

        // The form names the endpoint and its page loads the script, which its policy allows
        // (from this site only) along with posting back to this site.
        let sms_page = inspector.get(&format!("/notify/services/{sid}/templates/new?type=sms")).await;
        for page in [inspector.get(&path).await, sms_page] {
            assert!(page.body.contains("<script src=\"/notify/assets/preview.js\" defer></script>"));
            let csp = page.header("content-security-policy");
            assert_eq!(directive(csp, "script-src"), Some("'self'"), "{csp}");
            assert_eq!(directive(csp, "connect-src"), Some("'self'"), "{csp}");
            assert_eq!(directive(csp, "default-src"), Some("'none'"), "{csp}");
            assert!(page.body.contains("role=\"status\" aria-live=\"polite\""), "the announcement");
        }
        let page = inspector.get(&path).await;
        assert!(page.body.contains(&format!("data-preview=\"{endpoint}\"")), "{}", page.body);
        let new_sms = inspector.get(&format!("/notify/services/{sid}/templates/new?type=sms")).await;
        assert!(
            new_sms.body.contains(&format!("data-preview=\"/notify/services/{sid}/templates/new/preview?type=sms\""))
        );
        // Other pages keep the kernel's policy, with no script at all.
        let list = inspector.get(&format!("/notify/services/{sid}/templates")).await;
        assert_eq!(directive(list.header("content-security-policy"), "script-src"), None);

        let script = Browser::anonymous(&app).await.get("/notify/assets/preview.js").await;
        assert_eq!(script.status, 200);
        assert_eq!(script.header("content-type"), "text/javascript; charset=utf-8");
        assert_eq!(script.header("cache-control"), "public, max-age=3600");
        assert!(script.body.contains("data-preview") && script.body.contains("aria-busy"));

        // The fragment: the preview of what was posted and nothing else; placeholders without a
        // sample value show as themselves. Nothing is saved.
        let form = [
            ("name", "Tax return received"),
            ("subject", "About ((reference))"),
            ("content", "Hello ((name)), your reference is ((reference))."),
            ("p:name", "Ada"),
        ];
        let fragment = inspector.post(&endpoint, &form).await;
        assert_eq!(fragment.status, 200, "{}", fragment.body);
        assert!(fragment.body.contains("Hello Ada, your reference is ((reference))."), "{}", fragment.body);
        assert!(fragment.body.contains("<dd>About ((reference))</dd>"), "{}", fragment.body);
        assert!(fragment.body.contains("sandbox=\"\" srcdoc=\""));
        for whole_page in ["<html", "<form", "<h1", "preview-heading"] {
            assert!(!fragment.body.contains(whole_page), "{whole_page} in {}", fragment.body);
        }
        assert_eq!(fragment.header("cache-control"), "no-store");
        let t = store::template(app.kernel.db(), sid.parse().expect("id"), email.parse().expect("id"), None)
            .await
            .expect("template")
            .expect("exists");
        assert_eq!(t.version, 1, "a preview saves nothing");

        // Without the CSRF token nobody gets one; nor does anyone without the `member` role.
        assert_eq!(inspector.post_raw(&endpoint, &form).await.status, 403);
        let org = demo_org(&app, &sid).await;
        let reader = Email::parse("email", "reader@tax.demoland.example").expect("email");
        let roles = Roles::parse_list("roles", &["auditor".to_string()]).expect("roles");
        app.kernel.add_member(&Actor::operator(), org, &reader, "Rita Reader", &roles).await.expect("member");
        let reader = Browser::signed_in(&app, reader.as_str()).await;
        assert_eq!(reader.get(&format!("/notify/services/{sid}")).await.status, 200, "she sees the service");
        assert_eq!(reader.post(&endpoint, &form).await.status, 403);
        let clerk = Browser::signed_in(&app, CLERK).await;
        assert_eq!(clerk.post(&endpoint, &form).await.status, 404, "another organisation's service");
        let anonymous = Browser::anonymous(&app).await;
        let signed_out = anonymous.post(&endpoint, &form).await;
        assert_eq!((signed_out.status, signed_out.location()), (303, "/signin"));

        // A new letter: the sample address where the form gives none; a link to no saved PDF.
        let letter = format!("/notify/services/{sid}/templates/new/preview?type=letter");
        let content = "Dear ((name)) of ((address_line_1)), ((postcode)).";
        let fragment = inspector.post(&letter, &[("subject", "Your ((reference))"), ("content", content)]).await;
        assert_eq!(fragment.status, 200);
        for shown in ["Dear ((name)) of A. Citizen, DE1 2AB.", "<strong>Your ((reference))</strong>"] {
            assert!(fragment.body.contains(shown), "{shown}: {}", fragment.body);
        }
        assert!(!fragment.body.contains("letter.pdf"));
        // A saved letter's preview links to the version it was edited from.
        let saved = demo["templates"]["letter"].as_str().expect("letter template");
        let letter = format!("/notify/services/{sid}/templates/{saved}/preview?version=1");
        let fragment = inspector.post(&letter, &[("subject", "S"), ("content", "Dear ((name))")]).await;
        assert!(fragment.body.contains(&format!("/templates/{saved}/letter.pdf?version=1")), "{}", fragment.body);

        // A text message, in French: its length, and mistakes said as on the page.
        let sms = format!("/notify/services/{sid}/templates/new/preview?type=sms");
        let french = Browser::signed_in(&app, INSPECTOR).await.in_french();
        let fragment = french.post(&sms, &[("content", "Bonjour ((nom))"), ("p:nom", "Ada")]).await;
        assert!(fragment.body.contains("Prévisualisation du SMS"), "{}", fragment.body);
        assert!(fragment.body.contains("Bonjour Ada"), "{}", fragment.body);
        assert!(fragment.body.contains("facturés comme 1 SMS"), "{}", fragment.body);
        let empty = french.post(&sms, &[("content", " ")]).await;
        assert_eq!(empty.status, 200);
        assert!(empty.body.contains("Le message est vide."), "{}", empty.body);
        assert!(inspector.post(&format!("{sms}x"), &[("content", "x")]).await.status >= 400, "an unknown type");
    }
}

#[tokio::test]
async fn an_api_key_is_shown_once_works_and_can_be_revoked() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let path = format!("/notify/services/{sid}/api-keys");
        let inspector = Browser::signed_in(&app, INSPECTOR).await;

        let refused = inspector.post(&path, &[("name", " "), ("key_type", "team")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Enter a name for the key"));

        let created = inspector.post(&path, &[("name", "Case system"), ("key_type", "team")]).await;
        assert_eq!(created.status, 200);
        assert_eq!(created.header("cache-control"), "no-store");
        let prefix = format!("case_system-{sid}-");
        let start = created.body.find(&prefix).expect("the whole key is shown");
        let key = created.body[start..start + prefix.len() + 36].to_string();
        let secret = &key[prefix.len()..];
        assert!(created.body.contains("API key “Case system” created"));

        let list = inspector.get(&path).await;
        assert!(list.body.contains("Case system"));
        assert!(!list.body.contains(secret), "the key is never shown again");

        let (status, _) = app.json("GET", "/v2/templates", &api_token(&key), None).await;
        assert_eq!(status, 200, "the new key works");

        let keys = app.kernel.api_keys(demo_org(&app, &sid).await).await.expect("keys");
        let id = keys.iter().find(|k| k.name == "Case system").expect("stored").id;
        let confirm = inspector.get(&format!("{path}/{id}/revoke")).await;
        assert_eq!(confirm.status, 200);
        assert!(confirm.body.contains("Revoke the API key “Case system”?"));
        let revoked = inspector.post(&format!("{path}/{id}/revoke"), &[]).await;
        assert_eq!((revoked.status, revoked.location()), (303, format!("{path}?revoked={id}").as_str()));
        let (status, body) = app.json("GET", "/v2/templates", &api_token(&key), None).await;
        assert_eq!(status, 403, "a revoked key is refused at once: {body}");
        let page = inspector.get(&format!("{path}?revoked={id}")).await;
        assert!(page.body.contains("API key “Case system” was revoked."));
        assert_eq!(inspector.post(&format!("{path}/{id}/revoke"), &[]).await.status, 404, "revoked already");
        // A key of another block or service cannot be revoked from here.
        let kernel_key = keys.iter().find(|k| k.block == "kernel").expect("the organisation's kernel key").id;
        assert_eq!(inspector.post(&format!("{path}/{kernel_key}/revoke"), &[]).await.status, 404);
    }
}

async fn demo_org(app: &TestApp, sid: &str) -> Uuid {
    store::service(app.kernel.db(), sid.parse().expect("id")).await.expect("service").expect("exists").org_id
}

#[tokio::test]
async fn the_guest_list_and_callbacks_are_edited_with_forms() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let service: Uuid = sid.parse().expect("id");
        let path = format!("/notify/services/{sid}/guest-list");
        let inspector = Browser::signed_in(&app, INSPECTOR).await;

        let added = inspector.post(&path, &[("recipient", " Guest@Example.org ")]).await;
        assert_eq!((added.status, added.location()), (303, format!("{path}?added=1").as_str()));
        let guests = store::guest_list(app.kernel.db(), service).await.expect("guests");
        assert!(guests.contains(&("email".into(), "Guest@example.org".into())), "{guests:?}");
        let page = inspector.get(&format!("{path}?added=1")).await;
        assert!(page.body.contains("The guest list was updated.") && page.body.contains("Guest@example.org"));

        let refused = inspector.post(&path, &[("recipient", "12")]).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Enter a mobile number in the right format"));
        assert!(refused.body.contains("value=\"12\""), "what was typed is kept");

        let removed =
            inspector.post(&format!("{path}/remove"), &[("kind", "email"), ("recipient", "Guest@example.org")]).await;
        assert_eq!(removed.status, 303);
        let guests = store::guest_list(app.kernel.db(), service).await.expect("guests");
        assert!(!guests.iter().any(|(_, r)| r == "Guest@example.org"));

        let settings = format!("/notify/services/{sid}/settings");
        let insecure =
            [("kind", "delivery"), ("action", "save"), ("url", "http://example.org/hook"), ("bearer_token", "short")];
        let refused = inspector.post(&settings, &insecure).await;
        assert_eq!(refused.status, 422);
        assert!(refused.body.contains("Enter a URL that starts with https://"));
        assert!(refused.body.contains("Enter a bearer token of at least 10 characters"));
        let good = [
            ("kind", "delivery"),
            ("action", "save"),
            ("url", "https://example.org/hook"),
            ("bearer_token", "a-long-bearer-token"),
        ];
        assert_eq!(inspector.post(&settings, &good).await.status, 303);
        let s = store::service(app.kernel.db(), service).await.expect("service").expect("exists");
        assert_eq!(s.delivery_callback_url.as_deref(), Some("https://example.org/hook"));
        let notify = app.kernel.get::<publica_notify::Notify>().expect("notify");
        let token = notify.open_secret(service, s.delivery_callback_token.as_deref().expect("sealed")).expect("open");
        assert_eq!(token, "a-long-bearer-token");
        let page = inspector.get(&settings).await;
        assert!(page.body.contains("https://example.org/hook") && !page.body.contains("a-long-bearer-token"));
        assert_eq!(inspector.post(&settings, &[("kind", "delivery"), ("action", "remove")]).await.status, 303);
        let s = store::service(app.kernel.db(), service).await.expect("service").expect("exists");
        assert!(s.delivery_callback_url.is_none() && s.delivery_callback_token.is_none());
    }
}

/// Send an email with a file through the API; returns the file's page.
async fn send_file(app: &TestApp, demo: &Value, to: &str, confirm: bool) -> String {
    let body = json!({
        "email_address": to,
        "template_id": demo["templates"]["email"],
        "personalisation": {"name": "Ada", "reference": {
            "file": "JVBERi0xLjQgYSBzbWFsbCBmaWxl",
            "filename": "Relevé mars.pdf",
            "confirm_email_before_download": confirm,
        }},
    });
    let live = api_token(demo["api_keys"]["live"].as_str().expect("live key"));
    let (status, created) = app.json("POST", "/v2/notifications/email", &live, Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let text = created["content"]["body"].as_str().expect("body");
    let start = text.find("/notify/files/").expect("a link to the file");
    text[start..start + "/notify/files/".len() + 36].to_string()
}

#[tokio::test]
async fn files_sent_by_email_are_downloaded_after_the_address_is_confirmed() {
    for (app, demo) in apps().await {
        let path = send_file(&app, &demo, "Citizen@Example.org", true).await;
        let visitor = Browser::anonymous(&app).await;
        let page = visitor.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("Demoland Tax Office sent you a file."));
        assert!(page.body.contains("Relevé mars.pdf"));
        assert!(page.body.contains("name=\"email\""), "the address is asked for");
        assert_eq!(page.header("cache-control"), "no-store");

        let missing = visitor.post(&path, &[("email", "")]).await;
        assert_eq!(missing.status, 422);
        assert!(missing.body.contains("Enter your email address"));
        let wrong = visitor.post(&path, &[("email", "someone@example.org")]).await;
        assert_eq!(wrong.status, 422);
        assert!(wrong.body.contains("This is not the email address the file was sent to."));
        assert!(wrong.body.contains("value=\"someone@example.org\""));

        let file = visitor.post(&path, &[("email", " citizen@example.ORG")]).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.header("content-type"), "application/pdf");
        assert_eq!(
            file.header("content-disposition"),
            "attachment; filename=\"Relev_ mars.pdf\"; filename*=UTF-8''Relev%C3%A9%20mars.pdf"
        );
        assert_eq!(file.bytes, b"%PDF-1.4 a small file");

        // Guessing is cut short: after five wrong addresses even the right one waits.
        let guarded = send_file(&app, &demo, "citizen@example.org", true).await;
        for _ in 0..5 {
            assert_eq!(visitor.post(&guarded, &[("email", "guess@example.org")]).await.status, 422);
        }
        let blocked = visitor.post(&guarded, &[("email", "citizen@example.org")]).await;
        assert_eq!(blocked.status, 429);
        assert!(blocked.body.contains("Too many attempts"));

        // Without confirmation the button downloads at once.
        let open = send_file(&app, &demo, "citizen@example.org", false).await;
        let page = visitor.get(&open).await;
        assert!(!page.body.contains("name=\"email\""));
        let file = visitor.post(&open, &[]).await;
        assert_eq!((file.status, file.bytes.as_slice()), (200, b"%PDF-1.4 a small file".as_slice()));

        // In French too.
        let french = Browser::anonymous(&app).await.in_french();
        let page = french.get(&path).await;
        assert!(page.body.contains("Demoland Tax Office vous a envoyé un fichier."));
    }
}

#[tokio::test]
async fn unknown_expired_and_letter_files_are_not_offered() {
    for (app, demo) in apps().await {
        let service: Uuid = service_id(&demo).parse().expect("id");
        let now = Timestamp::now();
        let file = |purpose: &str, expires_at: Timestamp| {
            let id = Uuid::new_v4();
            FileRow {
                id,
                service_id: service,
                notification_id: None,
                purpose: purpose.into(),
                filename: Some("a.txt".into()),
                mime_type: "text/plain".into(),
                confirm_email: false,
                recipient_hash: None,
                sealed: app.kernel.keys().master().encrypt(id.as_bytes(), b"secret"),
                created_at: now,
                expires_at,
            }
        };
        let expired = file("email", now.plus(time::Duration::days(-1)));
        let letter = file("letter", now.plus(time::Duration::days(1)));
        let current = file("email", now.plus(time::Duration::days(1)));
        let mut tx = app.kernel.db().begin().await.expect("tx");
        for f in [&expired, &letter, &current] {
            store::insert_file(&mut tx, f).await.expect("insert");
        }
        tx.commit().await.expect("commit");

        let visitor = Browser::anonymous(&app).await;
        let gone = visitor.get(&format!("/notify/files/{}", expired.id)).await;
        assert_eq!(gone.status, 410);
        assert!(gone.body.contains("This file is no longer available"));
        assert_eq!(visitor.post(&format!("/notify/files/{}", expired.id), &[]).await.status, 410);
        for path in [
            format!("/notify/files/{}", letter.id),
            format!("/notify/files/{}", Uuid::new_v4()),
            "/notify/files/x".into(),
        ] {
            let page = visitor.get(&path).await;
            assert_eq!(page.status, 404, "{path}");
            assert!(page.body.contains("There is no file at this address."));
            assert_eq!(visitor.post(&path, &[]).await.status, 404, "{path}");
        }
        let ok = visitor.post(&format!("/notify/files/{}", current.id), &[]).await;
        assert_eq!((ok.status, ok.bytes.as_slice()), (200, b"secret".as_slice()));
        assert_eq!(ok.header("content-disposition"), "attachment; filename=\"a.txt\"; filename*=UTF-8''a.txt");
    }
}

#[tokio::test]
async fn the_dashboard_counts_and_lists_what_was_sent() {
    for (app, demo) in apps().await {
        let sid = service_id(&demo);
        let test = api_token(demo["api_keys"]["test"].as_str().expect("test key"));
        for reference in ["R-1", "R-2", "R-3"] {
            let body = json!({"email_address": "someone@example.org", "template_id": demo["templates"]["email"],
                "personalisation": {"name": "Ada", "reference": reference}});
            let (status, created) = app.json("POST", "/v2/notifications/email", &test, Some(body)).await;
            assert_eq!(status, 201, "{created}");
        }
        let sms = json!({"phone_number": "07700900123", "template_id": demo["templates"]["sms"],
            "personalisation": {"name": "Ada", "code": "1"}});
        assert_eq!(app.json("POST", "/v2/notifications/sms", &test, Some(sms)).await.0, 201);
        let inspector = Browser::signed_in(&app, INSPECTOR).await;
        // The group committer answers once stored; the page reads the database.
        let dashboard = inspector.get(&format!("/notify/services/{sid}")).await;
        assert_eq!(dashboard.status, 200);
        let today = Timestamp::now().to_fixed()[..10].to_string();
        assert!(
            dashboard.body.contains(&format!(
                "<time datetime=\"{today}\">{today}</time></th><td>3</td><td>1</td><td>0</td><td>4</td>"
            )),
            "today's row of the chart's table: {}",
            dashboard.body
        );
        assert!(dashboard.body.contains("role=\"img\""), "the chart");
        assert!(dashboard.body.contains("the busiest day was"));

        let list = inspector.get(&format!("/notify/services/{sid}/notifications?type=email")).await;
        assert_eq!(list.status, 200);
        assert_eq!(list.body.matches("someone@example.org").count(), 3);
        assert!(list.body.contains("Tax return received"));
        let sms_only = inspector.get(&format!("/notify/services/{sid}/notifications?type=sms")).await;
        assert!(!sms_only.body.contains("someone@example.org") && sms_only.body.contains("07700900123"));
        let failed = inspector.get(&format!("/notify/services/{sid}/notifications?status=failed")).await;
        assert!(failed.body.contains("No notification matches."));
    }
}
