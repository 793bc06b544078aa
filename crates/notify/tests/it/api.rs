//! The Notify API v2 in-process, on SQLite and PostgreSQL: authentication, sending through a
//! real SMTP conversation, Notify's errors, listing and paging, templates and letters.

use std::sync::Arc;
use std::time::Duration;

use publica_kernel::testing::TestApp;
use publica_kernel::{Block, Kernel};
use publica_notify::NotifyBlock;
use publica_notify::api::auth::{make_token, split_key};
use publica_notify::testing::{Recipients, SmtpSink};
use serde_json::{Value, json};

/// An app with the demo seeded, email going to `sink`.
async fn apps(sink: &SmtpSink, adjust: impl Fn(&mut publica_kernel::config::Config)) -> Vec<(TestApp, Value)> {
    let url = sink.url();
    let mut out = Vec::new();
    for app in TestApp::each_with(&[Arc::new(NotifyBlock)], |c| {
        c.sections.insert("notify".into(), json!({"smtp_url": url, "delivery_concurrency": 8}));
        adjust(c);
    })
    .await
    {
        let demo = seed(&app.kernel).await;
        out.push((app, demo));
    }
    out
}

async fn seed(kernel: &Kernel) -> Value {
    publica_kernel::block::KernelBlock.seed_demo(kernel).await.expect("kernel demo");
    NotifyBlock.seed_demo(kernel).await.expect("notify demo")
}

fn token(key: &str) -> String {
    let (service, secret) = split_key(key).expect("a Notify key");
    make_token(service, secret, time::OffsetDateTime::now_utc().unix_timestamp())
}

fn key(demo: &Value, kind: &str) -> String {
    demo["api_keys"][kind].as_str().expect("key").to_string()
}

fn errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| (e["error"].as_str().unwrap_or("").into(), e["message"].as_str().unwrap_or("").into()))
                .collect()
        })
        .unwrap_or_default()
}

type Received = Arc<std::sync::Mutex<Vec<(String, Value)>>>;

/// A service's callback endpoint: its URL, and the `Authorization` header and body of each post.
async fn callback_receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let router = axum::Router::new().route(
        "/callback",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                sink.lock().expect("lock").push((auth, body.0));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://127.0.0.1:{}/callback", listener.local_addr().expect("addr").port());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

async fn wait_status(app: &TestApp, token: &str, id: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (code, body) = app.json("GET", &format!("/v2/notifications/{id}"), token, None).await;
        assert_eq!(code, 200, "{body}");
        if body["status"] == status {
            return body;
        }
        assert!(std::time::Instant::now() < deadline, "{}: still {} (want {status})", app.backend, body["status"]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_is_accepted_committed_and_delivered_over_smtp() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let _worker = app.worker();
        let live = token(&key(&demo, "live"));
        let body = json!({
            "email_address": "Citizen@Example.org",
            "template_id": demo["templates"]["email"],
            "personalisation": {"name": "Ada", "reference": "TX-42"},
            "reference": "client-ref-1",
        });
        let (status, created) = app.json("POST", "/v2/notifications/email", &live, Some(body)).await;
        assert_eq!(status, 201, "{}: {created}", app.backend);
        let id = created["id"].as_str().expect("id").to_string();
        assert_eq!(created["reference"], "client-ref-1");
        assert_eq!(created["content"]["subject"], "Your tax return TX-42");
        assert!(created["content"]["body"].as_str().expect("body").contains("Dear Ada,"));
        assert_eq!(created["content"]["from_email"], "tax-office@notify.demoland.example");
        assert!(created["uri"].as_str().expect("uri").ends_with(&format!("/v2/notifications/{id}")));
        assert_eq!(created["template"]["version"], 1);
        assert!(created["scheduled_for"].is_null());

        let got = wait_status(&app, &live, &id, "delivered").await;
        assert_eq!(got["email_address"], "Citizen@Example.org");
        assert_eq!(got["type"], "email");
        assert!(got["sent_at"].as_str().expect("sent_at").ends_with('Z'));
        assert_eq!(got["created_at"].as_str().expect("created_at").len(), "2024-01-01T12:00:00.123456Z".len());
        let message = sink
            .messages()
            .into_iter()
            .find(|m| m.header("Message-ID").is_some_and(|h| h.contains(&id)))
            .expect("the message reached the SMTP server");
        assert_eq!(message.rcpt_to, vec!["citizen@example.org".to_string()]);
        assert!(message.header("Subject").expect("subject").contains("TX-42"));
        assert!(message.text().contains("Dear Ada,"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_relay_makes_a_permanent_failure() {
    let sink = SmtpSink::start().await.expect("sink");
    sink.reply_to_rcpt(Recipients::LocalPart("nobody".into()), 550, "5.1.1 no such user");
    for (app, demo) in apps(&sink, |_| {}).await {
        let _worker = app.worker();
        let live = token(&key(&demo, "live"));
        let body = json!({"email_address": "nobody@example.org", "template_id": demo["templates"]["email"],
            "personalisation": {"name": "N", "reference": "R"}});
        let (status, created) = app.json("POST", "/v2/notifications/email", &live, Some(body)).await;
        assert_eq!(status, 201, "{created}");
        wait_status(&app, &live, created["id"].as_str().expect("id"), "permanent-failure").await;
    }
}

#[tokio::test]
async fn authentication_fails_as_notify_says() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let live = key(&demo, "live");
        let (service, secret) = split_key(&live).expect("key");
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let cases: Vec<(Option<String>, u16, &str)> = vec![
            (None, 401, "Unauthorized: authentication token must be provided"),
            (Some("Basic abc".into()), 401, "Unauthorized: authentication bearer scheme must be used"),
            (
                Some("Bearer not-a-jwt".into()),
                403,
                "Invalid token: make sure your API token matches the example at https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header",
            ),
            (
                Some(format!("Bearer {}", make_token(service, "00000000-0000-4000-8000-000000000000", now))),
                403,
                "Invalid token: API key not found",
            ),
            (
                Some(format!("Bearer {}", make_token(service, secret, now - 31))),
                403,
                "Error: Your system clock must be accurate to within 30 seconds",
            ),
            (
                Some(format!("Bearer {}", make_token(uuid::Uuid::new_v4(), secret, now))),
                403,
                "Invalid token: service not found",
            ),
        ];
        for (header, status, message) in cases {
            let mut request = axum::http::Request::get("/v2/templates");
            if let Some(h) = &header {
                request = request.header("authorization", h);
            }
            let response = app.request(request.body(axum::body::Body::empty()).expect("request")).await;
            assert_eq!(response.status().as_u16(), status, "{header:?}");
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
            let body: Value = serde_json::from_slice(&bytes).expect("json");
            assert_eq!(body["status_code"], status);
            assert_eq!(errors(&body), vec![("AuthError".to_string(), message.to_string())], "{header:?}");
        }
        let (status, _) = app.json("GET", "/v2/templates", &make_token(service, secret, now + 20), None).await;
        assert_eq!(status, 200, "iat within 30 seconds ahead is fine");
    }
}

#[tokio::test]
async fn bad_requests_get_notifys_errors() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let live = token(&key(&demo, "live"));
        let team = token(&key(&demo, "team"));
        let email_template = demo["templates"]["email"].clone();
        let cases = vec![
            (
                &live,
                "email",
                json!({"email_address": "not-an-email", "template_id": email_template}),
                400,
                "ValidationError",
                "email_address Not a valid email address",
            ),
            (
                &live,
                "email",
                json!({"email_address": "a@example.org", "template_id": "x"}),
                400,
                "ValidationError",
                "template_id is not a valid UUID",
            ),
            (
                &live,
                "sms",
                json!({"template_id": demo["templates"]["sms"]}),
                400,
                "ValidationError",
                "phone_number is a required property",
            ),
            (
                &live,
                "email",
                json!({"email_address": "a@example.org", "template_id": email_template, "personalisation": {"name": "A"}}),
                400,
                "BadRequestError",
                "Missing personalisation: reference",
            ),
            (
                &live,
                "email",
                json!({"email_address": "a@example.org", "template_id": uuid::Uuid::new_v4()}),
                400,
                "BadRequestError",
                "Template not found",
            ),
            (
                &live,
                "sms",
                json!({"phone_number": "07700900123", "template_id": email_template}),
                400,
                "BadRequestError",
                "email template is not suitable for sms notification",
            ),
            (
                &team,
                "email",
                json!({"email_address": "stranger@example.org", "template_id": email_template, "personalisation": {"name": "A", "reference": "R"}}),
                400,
                "BadRequestError",
                "Can’t send to this recipient using a team-only API key",
            ),
        ];
        for (token, kind, body, status, error, message) in cases {
            let (got, response) =
                app.json("POST", &format!("/v2/notifications/{kind}"), token, Some(body.clone())).await;
            assert_eq!(got, status, "{body} → {response}");
            assert_eq!(errors(&response), vec![(error.to_string(), message.to_string())], "{body}");
        }
        let body = json!({"email_address": demo["team_email"], "template_id": email_template, "personalisation": {"name": "A", "reference": "R"}});
        let (status, response) = app.json("POST", "/v2/notifications/email", &team, Some(body)).await;
        assert_eq!(status, 201, "team members may receive with a team key: {response}");
        let (status, response) =
            app.json("GET", &format!("/v2/notifications/{}", uuid::Uuid::new_v4()), &live, None).await;
        assert_eq!((status, errors(&response)), (404, vec![("NoResultFound".into(), "No result found".into())]));
    }
}

#[tokio::test]
async fn lists_page_by_250_with_links_the_clients_follow() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let test = token(&key(&demo, "test"));
        let sends = (0..260).map(|i| {
            let body = json!({"phone_number": "07700900999", "template_id": demo["templates"]["sms"],
                "personalisation": {"name": "N", "code": i.to_string()}, "reference": if i % 2 == 0 { "even" } else { "odd" }});
            let (app, test) = (&app, &test);
            async move { app.json("POST", "/v2/notifications/sms", test, Some(body)).await }
        });
        for (status, body) in futures::future::join_all(sends).await {
            assert_eq!(status, 201, "{body}");
        }
        let (status, first) = app.json("GET", "/v2/notifications?template_type=sms", &test, None).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["notifications"].as_array().expect("list").len(), 250);
        let next = first["links"]["next"].as_str().expect("next link");
        let after = next.split("older_than=").nth(1).expect("older_than first").split('&').next().expect("id");
        assert_eq!(after, first["notifications"][249]["id"].as_str().expect("id"));
        let (_, second) =
            app.json("GET", &format!("/v2/notifications?template_type=sms&older_than={after}"), &test, None).await;
        assert_eq!(second["notifications"].as_array().expect("list").len(), 10);
        let (_, even) = app.json("GET", "/v2/notifications?reference=even", &test, None).await;
        assert_eq!(even["notifications"].as_array().expect("list").len(), 130);
        let (status, bad) = app.json("GET", "/v2/notifications?status=elephant", &test, None).await;
        assert_eq!(status, 400);
        assert!(errors(&bad)[0].1.starts_with("status elephant is not one of [cancelled, created"), "{bad}");
        let live = token(&key(&demo, "live"));
        let (_, live_list) = app.json("GET", "/v2/notifications", &live, None).await;
        assert_eq!(live_list["notifications"].as_array().expect("list").len(), 0, "lists show the caller's key type");
    }
}

#[tokio::test]
async fn templates_read_and_preview() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let live = token(&key(&demo, "live"));
        let id = demo["templates"]["email"].as_str().expect("id");
        let (status, t) = app.json("GET", &format!("/v2/template/{id}"), &live, None).await;
        assert_eq!(status, 200, "{t}");
        assert_eq!((t["type"].as_str(), t["version"].as_i64()), (Some("email"), Some(1)));
        assert_eq!(t["personalisation"], json!({"reference": {"required": true}, "name": {"required": true}}));
        let (status, v) = app.json("GET", &format!("/v2/template/{id}/version/1"), &live, None).await;
        assert_eq!((status, &v["id"]), (200, &t["id"]));
        let (status, _) = app.json("GET", &format!("/v2/template/{id}/version/7"), &live, None).await;
        assert_eq!(status, 404);
        let (_, all) = app.json("GET", "/v2/templates", &live, None).await;
        assert_eq!(
            all["templates"].as_array().expect("templates").len(),
            3,
            "the hidden precompiled template is not listed"
        );
        let (_, sms) = app.json("GET", "/v2/templates?type=sms", &live, None).await;
        assert_eq!(sms["templates"].as_array().expect("templates").len(), 1);
        let (status, preview) = app
            .json(
                "POST",
                &format!("/v2/template/{id}/preview"),
                &live,
                Some(json!({"personalisation": {"name": "Zoé", "reference": "R1"}})),
            )
            .await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["subject"], "Your tax return R1");
        assert!(preview["html"].as_str().expect("html").contains("Zoé"));
        let (status, missing) =
            app.json("POST", &format!("/v2/template/{id}/preview"), &live, Some(json!({"personalisation": {}}))).await;
        assert_eq!(status, 400);
        assert_eq!(errors(&missing)[0].1, "Missing personalisation: reference, name");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn letters_from_templates_and_uploads_reach_the_print_folder() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let _worker = app.worker();
        let live = token(&key(&demo, "live"));
        let body = json!({"template_id": demo["templates"]["letter"], "reference": "letter-1", "personalisation": {
            "name": "Rémi", "reference": "TX-9", "address_line_1": "Rémi Martin", "address_line_2": "1 Rue de la Paix",
            "address_line_3": "Demopolis DL1 1AA"}});
        let (status, created) = app.json("POST", "/v2/notifications/letter", &live, Some(body)).await;
        assert_eq!(status, 201, "{created}");
        let id = created["id"].as_str().expect("id").to_string();
        let got = wait_status(&app, &live, &id, "received").await;
        assert_eq!(got["line_1"], "Rémi Martin");
        assert_eq!(got["postage"], "second");
        assert!(got["estimated_delivery"].is_string());
        let response = app
            .request(
                axum::http::Request::get(format!("/v2/notifications/{id}/pdf"))
                    .header("authorization", format!("Bearer {live}"))
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(response.status(), 200);
        let pdf = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let day = crate::print_day(app.data_dir());
        assert!(day.join(format!("{id}.pdf")).exists(), "the letter is in the print folder");

        use base64::Engine;
        let content = base64::engine::general_purpose::STANDARD.encode(&pdf);
        let (status, pre) = app
            .json(
                "POST",
                "/v2/notifications/letter",
                &live,
                Some(json!({"reference": "upload-1", "content": content, "postage": "first"})),
            )
            .await;
        assert_eq!(status, 201, "{pre}");
        assert_eq!(pre["postage"], "first");
        assert_eq!(pre["reference"], "upload-1");
        let (status, bad) = app
            .json("POST", "/v2/notifications/letter", &live, Some(json!({"reference": "x", "content": "%%%"})))
            .await;
        assert_eq!(
            (status, errors(&bad)[0].1.as_str()),
            (400, "Cannot decode letter content (invalid base64 encoding)")
        );
        let not_pdf = base64::engine::general_purpose::STANDARD.encode(b"<html>not a letter</html>");
        let (status, bad) = app
            .json("POST", "/v2/notifications/letter", &live, Some(json!({"reference": "x", "content": not_pdf})))
            .await;
        assert_eq!((status, errors(&bad)[0].1.as_str()), (400, "The letter is not a PDF"));
        let team = token(&key(&demo, "team"));
        let (status, forbidden) = app
            .json("POST", "/v2/notifications/letter", &team, Some(json!({"reference": "x", "content": content})))
            .await;
        assert_eq!((status, errors(&forbidden)[0].1.as_str()), (403, "Cannot send letters with a team api key"));
    }
}

#[tokio::test]
async fn the_rate_limit_answers_429_as_notify() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |c| {
        c.sections.insert("notify".into(), json!({"rate_limit_per_minute": 6}));
    })
    .await
    {
        let test = token(&key(&demo, "test"));
        let body = json!({"phone_number": "07700900999", "template_id": demo["templates"]["sms"], "personalisation": {"name": "N", "code": "1"}});
        let mut statuses = Vec::new();
        for _ in 0..5 {
            statuses.push(app.json("POST", "/v2/notifications/sms", &test, Some(body.clone())).await);
        }
        assert_eq!(statuses.iter().filter(|(s, _)| *s == 201).count(), 3, "a burst of a third of the minute, plus one");
        let (status, limited) = statuses.last().expect("last");
        assert_eq!(*status, 429);
        assert_eq!(
            errors(limited),
            vec![(
                "RateLimitError".into(),
                "Exceeded rate limit for key type TEST of 6 requests per 60 seconds".into()
            )]
        );
    }
}

#[tokio::test]
async fn contents_are_purged_after_the_retention_period_and_counts_stay() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, |_| {}).await {
        let test = token(&key(&demo, "test"));
        let body = json!({"phone_number": "07700900999", "template_id": demo["templates"]["sms"], "personalisation": {"name": "N", "code": "1"}});
        let (_, created) = app.json("POST", "/v2/notifications/sms", &test, Some(body)).await;
        let id = uuid::Uuid::parse_str(created["id"].as_str().expect("id")).expect("uuid");
        let eight_days_ago = publica_kernel::db::Timestamp::now().plus(time::Duration::days(-8));
        publica_kernel::on_db!(app.kernel.db(), pool => sqlx::query("UPDATE notify_notifications SET created_at = $1 WHERE id = $2")
            .bind(eight_days_ago).bind(id).execute(pool).await.map(|_| ())).expect("age it");
        NotifyBlock.housekeeping(&app.kernel).await.expect("housekeeping");
        let (status, _) = app.json("GET", &format!("/v2/notifications/{id}"), &test, None).await;
        assert_eq!(status, 404, "{}: purged notifications are gone from the API", app.backend);
        let (count, recipient): (i64, Option<String>) = publica_kernel::on_db!(app.kernel.db(), pool => sqlx::query_as(
            "SELECT COUNT(*), MAX(recipient) FROM notify_notifications WHERE id = $1").bind(id).fetch_one(pool).await)
        .expect("count");
        assert_eq!((count, recipient), (1, None), "the row stays for counts, without personal data");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_receipts_are_posted_to_the_services_callback_with_its_token() {
    let (url, received) = callback_receiver().await;
    let smtp = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&smtp, |_| {}).await {
        received.lock().expect("lock").clear();
        let notify = app.kernel.get::<publica_notify::Notify>().expect("notify");
        let service_id = uuid::Uuid::parse_str(demo["service_id"].as_str().expect("id")).expect("uuid");
        let service = publica_notify::store::service(app.kernel.db(), service_id).await.expect("db").expect("service");
        let actor = publica_kernel::audit::Actor::system("test");
        notify
            .set_callback(
                &actor,
                &service,
                publica_notify::store::CallbackKind::Delivery,
                Some((&url, "callback-token-123")),
            )
            .await
            .expect("callback");
        let _worker = app.worker();
        let mut ids = Vec::new();
        for kind in ["test", "live"] {
            let body = json!({"email_address": "someone@example.org", "template_id": demo["templates"]["email"],
                "personalisation": {"name": "A", "reference": "R"}, "reference": kind});
            let (status, created) =
                app.json("POST", "/v2/notifications/email", &token(&key(&demo, kind)), Some(body)).await;
            assert_eq!(status, 201, "{created}");
            ids.push(created["id"].as_str().expect("id").to_string());
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while received.lock().expect("lock").len() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: callbacks: {:?}",
                app.backend,
                received.lock().expect("lock")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = received.lock().expect("lock").clone();
        for id in &ids {
            let (auth, body) = got.iter().find(|(_, b)| b["id"] == *id).expect("a receipt for each");
            assert_eq!(auth, "Bearer callback-token-123");
            assert_eq!(body["status"], "delivered");
            assert_eq!(body["notification_type"], "email");
            assert_eq!(body["to"], "someone@example.org");
            assert!(body["completed_at"].is_string() && body["sent_at"].is_string(), "{body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_texts_are_listed_and_posted_to_the_inbound_callback() {
    let (url, received) = callback_receiver().await;
    let smtp = SmtpSink::start().await.expect("sink");
    let gateway = "gateway-token-0123456789";
    for (app, demo) in apps(&smtp, |c| {
        c.sections.insert("notify".into(), json!({"sms": {"url": "http://127.0.0.1:9/unused", "token": gateway}}));
    })
    .await
    {
        received.lock().expect("lock").clear();
        let notify = app.kernel.get::<publica_notify::Notify>().expect("notify");
        let service_id = uuid::Uuid::parse_str(demo["service_id"].as_str().expect("id")).expect("uuid");
        let service = publica_notify::store::service(app.kernel.db(), service_id).await.expect("db").expect("service");
        let actor = publica_kernel::audit::Actor::system("test");
        notify
            .set_callback(
                &actor,
                &service,
                publica_notify::store::CallbackKind::Inbound,
                Some((&url, "inbound-token-123")),
            )
            .await
            .expect("callback");
        let _worker = app.worker();
        let inbound = json!({"to": demo["inbound_number"], "from": "+447700900321", "body": "STOP please"});
        let (status, _) = app.json("POST", "/notify/providers/sms/inbound", "wrong-token", Some(inbound.clone())).await;
        assert_eq!(status, 401);
        let (status, body) = app.json("POST", "/notify/providers/sms/inbound", gateway, Some(inbound)).await;
        assert_eq!(status, 204, "{body}");
        let (_, list) = app.json("GET", "/v2/received-text-messages", &token(&key(&demo, "live")), None).await;
        let texts = list["received_text_messages"].as_array().expect("list");
        assert_eq!(texts.len(), 1, "{list}");
        assert_eq!(
            (texts[0]["content"].as_str(), texts[0]["user_number"].as_str()),
            (Some("STOP please"), Some("447700900321"))
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while received.lock().expect("lock").is_empty() {
            assert!(std::time::Instant::now() < deadline, "{}: no inbound callback", app.backend);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (auth, body) = received.lock().expect("lock")[0].clone();
        assert_eq!(auth, "Bearer inbound-token-123");
        assert_eq!(
            (body["message"].as_str(), body["source_number"].as_str()),
            (Some("STOP please"), Some("447700900321"))
        );
        assert_eq!(body["destination_number"], demo["inbound_number"]);
    }
}
