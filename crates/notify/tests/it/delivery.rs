//! Delivery adapters against real servers: SMTP through `SmtpSink` (headers, DKIM verified
//! independently, failure classes, connection reuse), the SMS gateway against an axum server,
//! and the print folder.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self, KeyPair as _};
use aws_lc_rs::{digest, rand};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use publica_notify::delivery::*;
use publica_notify::testing::{ReceivedMessage, Recipients, SmtpSink};
use serde_json::{Value, json};
use uuid::Uuid;

fn email(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        notification_id: Uuid::now_v7(),
        from_name: "Tax Office".into(),
        from_address: "notify@agency.example".into(),
        reply_to: Some("help@agency.example".into()),
        to: to.into(),
        subject: "Your tax return".into(),
        text: "Hello,\n.a line starting with a dot\nBye".into(),
        html: "<p>Hello,</p><p>Bye</p>".into(),
        one_click_unsubscribe_url: Some("https://notify.agency.example/unsubscribe/abc?x=1".into()),
    }
}

fn settings(url: String) -> SmtpSettings {
    SmtpSettings { url, timeout: Duration::from_secs(5), dkim: None, pool_size: 4 }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

#[tokio::test]
async fn smtp_message_has_notify_headers_and_both_alternatives() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.url())).expect("sender");
    let outgoing = email("person@example.org");
    let reference = sender.send(&outgoing).await.expect("sent");
    assert_eq!(reference, format!("{}@agency.example", outgoing.notification_id));

    let messages = sink.wait_for(1, Duration::from_secs(5)).await.expect("received");
    let m = &messages[0];
    assert_eq!(m.mail_from, "notify@agency.example");
    assert_eq!(m.rcpt_to, vec!["person@example.org".to_owned()]);
    assert_eq!(m.header("Message-ID"), Some(format!("<{}@agency.example>", outgoing.notification_id)));
    assert_eq!(m.header("From").as_deref(), Some("\"Tax Office\" <notify@agency.example>"));
    assert_eq!(m.header("To").as_deref(), Some("person@example.org"));
    assert_eq!(m.header("Reply-To").as_deref(), Some("help@agency.example"));
    assert_eq!(m.header("Subject").as_deref(), Some("Your tax return"));
    assert!(m.header("Date").is_some());
    assert_eq!(m.header("List-Unsubscribe").as_deref(), Some("<https://notify.agency.example/unsubscribe/abc?x=1>"));
    assert_eq!(m.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    assert!(m.header("DKIM-Signature").is_none());
    let content_type = m.header("Content-Type").expect("content type");
    assert!(content_type.starts_with("multipart/alternative;"), "{content_type}");
    let body = String::from_utf8_lossy(m.body());
    let plain = body.find("Content-Type: text/plain").expect("text part");
    let html = body.find("Content-Type: text/html").expect("html part");
    assert!(plain < html, "text first, HTML preferred last");
    assert!(body.contains("\r\n.a line starting with a dot\r\n"), "dot-stuffing undone: {body}");
    assert!(body.contains("<p>Hello,</p>"));
}

#[tokio::test]
async fn smtp_headers_without_optional_parts_and_with_non_ascii_subject() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(sink.url())).expect("sender");
    let mut outgoing = email("person@example.org");
    outgoing.reply_to = None;
    outgoing.one_click_unsubscribe_url = None;
    outgoing.subject = "Votre déclaration\r\nBcc: evil@example.org".into();
    sender.send(&outgoing).await.expect("sent");
    let m = &sink.wait_for(1, Duration::from_secs(5)).await.expect("received")[0];
    assert!(m.header("Reply-To").is_none() && m.header("List-Unsubscribe").is_none());
    assert!(m.header("Bcc").is_none(), "no header injection");
    let subject = m.header("Subject").expect("subject");
    assert!(subject.contains("=?utf-8?") && !subject.contains('é'), "RFC 2047 encoded: {subject}");
}

#[tokio::test]
async fn smtp_connections_are_pooled_and_reused() {
    let sink = SmtpSink::builder().credentials("relay user", "p@ss/word").start().await.expect("sink");
    let url = format!("smtp://relay%20user:p%40ss%2Fword@{}", sink.addr());
    let sender = Arc::new(SmtpSender::new(&SmtpSettings { pool_size: 2, ..settings(url) }).expect("sender"));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let sender = Arc::clone(&sender);
        tasks.spawn(async move { sender.send(&email(&format!("p{i}@example.org"))).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.expect("task").expect("sent");
    }
    let messages = sink.wait_for(40, Duration::from_secs(10)).await.expect("received");
    assert!(messages.iter().all(|m| m.authenticated_as.as_deref() == Some("relay user")));
    assert!(sink.connections() <= 2, "{} connections for 40 messages on a pool of 2", sink.connections());
}

#[tokio::test]
async fn smtp_failures_are_classified() {
    let sink = SmtpSink::start().await.expect("sink");
    sink.reply_to_rcpt(Recipients::LocalPart("bounce".into()), 550, "5.1.1 no such user");
    sink.reply_to_rcpt(Recipients::LocalPart("greylisted".into()), 451, "4.3.0 try later");
    sink.reply_to_data(Recipients::LocalPart("full".into()), 452, "4.2.2 mailbox full");
    let sender = SmtpSender::new(&settings(sink.url())).expect("sender");

    match sender.send(&email("bounce@example.org")).await {
        Err(DeliveryError::Permanent(m)) => assert!(m.contains("550") && m.contains("no such user"), "{m}"),
        other => panic!("550 gave {other:?}"),
    }
    match sender.send(&email("greylisted@example.org")).await {
        Err(DeliveryError::Temporary(m)) => assert!(m.contains("451"), "{m}"),
        other => panic!("451 gave {other:?}"),
    }
    assert!(matches!(sender.send(&email("full@example.org")).await, Err(DeliveryError::Temporary(_))));
    // A failed transaction does not poison the pool.
    sender.send(&email("fine@example.org")).await.expect("sent after failures");
    let messages = sink.wait_for(1, Duration::from_secs(5)).await.expect("received");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].rcpt_to, vec!["fine@example.org".to_owned()]);
    assert_eq!(sink.connections(), 1, "refusals are reset, not reconnected");
}

#[tokio::test]
async fn smtp_wrong_credentials_and_missing_starttls_are_technical() {
    let sink = SmtpSink::builder().credentials("user", "right").start().await.expect("sink");
    let wrong = SmtpSender::new(&settings(format!("smtp://user:wrong@{}", sink.addr()))).expect("sender");
    match wrong.send(&email("person@example.org")).await {
        Err(DeliveryError::Technical(m)) => assert!(m.contains("535") && m.contains("credentials"), "{m}"),
        other => panic!("535 gave {other:?}"),
    }
    let unauthenticated = SmtpSender::new(&settings(sink.url())).expect("sender");
    assert!(matches!(unauthenticated.send(&email("p@example.org")).await, Err(DeliveryError::Technical(_))));
    let starttls = SmtpSender::new(&settings(format!("smtp+starttls://{}", sink.addr()))).expect("sender");
    assert!(matches!(starttls.send(&email("p@example.org")).await, Err(DeliveryError::Technical(_))));
    assert_eq!(sink.received(), 0);
}

#[tokio::test]
async fn smtp_implicit_tls_to_a_plain_relay_is_technical() {
    let sink = SmtpSink::start().await.expect("sink");
    let sender = SmtpSender::new(&settings(format!("smtps://{}", sink.addr()))).expect("sender");
    match sender.send(&email("p@example.org")).await {
        Err(DeliveryError::Technical(m)) => assert!(m.contains("TLS") && m.contains("certificate"), "{m}"),
        other => panic!("smtps:// to a plain relay gave {other:?}"),
    }
    assert_eq!(sink.received(), 0);
}

#[tokio::test]
async fn smtp_connection_refused_is_temporary() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let sender = SmtpSender::new(&settings(format!("smtp://127.0.0.1:{port}"))).expect("sender");
    assert!(matches!(sender.send(&email("p@example.org")).await, Err(DeliveryError::Temporary(_))));
}

#[test]
fn smtp_bad_settings_are_technical() {
    for url in ["http://relay.example", "smtp://relay.example?tls=sometimes", "smtp://user@relay.example", ""] {
        assert!(matches!(SmtpSender::new(&settings(url.into())), Err(DeliveryError::Technical(_))), "{url:?}");
    }
}

// --- DKIM, verified with an implementation of RFC 6376 relaxed/relaxed written here ---

/// Relaxed header canonicalization of one raw header (name, colon, folded value).
fn relaxed_header(raw: &str) -> String {
    let (name, value) = raw.split_once(':').expect("header has a colon");
    let unfolded = value.replace("\r\n", "");
    let value = unfolded.split([' ', '\t']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    format!("{}:{}\r\n", name.trim().to_ascii_lowercase(), value)
}

fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut lines: Vec<String> = text
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            let mut in_space = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    in_space = true;
                } else {
                    if in_space {
                        out.push(' ');
                    }
                    in_space = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.iter().map(|l| format!("{l}\r\n")).collect::<String>().into_bytes()
}

/// Raw headers (with folding) in order.
fn raw_headers(m: &ReceivedMessage) -> Vec<String> {
    let text = m.text();
    let section = &text[..text.find("\r\n\r\n").expect("header end")];
    let mut out: Vec<String> = Vec::new();
    for line in section.split("\r\n") {
        match out.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push_str("\r\n");
                last.push_str(line);
            }
            _ => out.push(line.to_owned()),
        }
    }
    out
}

enum Verify<'a> {
    Rsa(&'a [u8]),
    Ed25519(&'a [u8]),
}

fn verify_dkim(m: &ReceivedMessage, key: Verify<'_>, selector: &str, domain: &str) -> Result<(), String> {
    let headers = raw_headers(m);
    let dkim_raw =
        headers.iter().find(|h| h.to_ascii_lowercase().starts_with("dkim-signature:")).ok_or("no DKIM-Signature")?;
    let canonical = relaxed_header(dkim_raw);
    let value = canonical.split_once(':').ok_or("no colon")?.1.trim_end();
    let tags: Vec<(String, String)> = value
        .split(';')
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.chars().filter(|c| !c.is_whitespace()).collect()))
        .collect();
    let tag =
        |name: &str| tags.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).ok_or(format!("no {name}= tag"));
    let expect = |name: &str, want: &str| -> Result<(), String> {
        let got = tag(name)?;
        if got == want { Ok(()) } else { Err(format!("{name}={got}, expected {want}")) }
    };
    expect("v", "1")?;
    expect("c", "relaxed/relaxed")?;
    expect("s", selector)?;
    expect("d", domain)?;
    let body_hash = digest::digest(&digest::SHA256, &relaxed_body(m.body()));
    expect("bh", &BASE64.encode(body_hash.as_ref()))?;

    let signed = tag("h")?;
    for required in [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        if !signed.to_ascii_lowercase().split(':').any(|h| h == required) {
            return Err(format!("{required} is not signed (h={signed})"));
        }
    }
    // Each name in h= takes the next unused instance of that header from the bottom (RFC 6376 5.4.2).
    let mut data = String::new();
    let mut used = vec![false; headers.len()];
    for name in signed.split(':') {
        let found =
            headers.iter().enumerate().rev().find(|(i, h)| {
                !used[*i] && h.split_once(':').is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name))
            });
        if let Some((i, h)) = found {
            used[i] = true;
            data.push_str(&relaxed_header(h));
        }
    }
    let own: Vec<String> = canonical
        .trim_end_matches("\r\n")
        .split(';')
        .map(|t| match t.find("b=") {
            Some(at) if t.trim_start().starts_with("b=") => t[..at + 2].to_owned(),
            _ => t.to_owned(),
        })
        .collect();
    data.push_str(&own.join(";"));

    let signature = BASE64.decode(tag("b")?).map_err(|e| e.to_string())?;
    let verified = match key {
        Verify::Rsa(public) => {
            expect("a", "rsa-sha256")?;
            signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, public)
                .verify(data.as_bytes(), &signature)
        }
        Verify::Ed25519(public) => {
            expect("a", "ed25519-sha256")?;
            let hash = digest::digest(&digest::SHA256, data.as_bytes());
            signature::UnparsedPublicKey::new(&signature::ED25519, public).verify(hash.as_ref(), &signature)
        }
    };
    verified.map_err(|_| format!("the signature does not verify over:\n{data}\nmessage:\n{}", m.text()))
}

async fn send_signed(private_key_pem: String) -> ReceivedMessage {
    let sink = SmtpSink::start().await.expect("sink");
    let dkim = DkimSettings { selector: "notify1".into(), domain: "agency.example".into(), private_key_pem };
    let sender = SmtpSender::new(&SmtpSettings { dkim: Some(dkim), ..settings(sink.url()) }).expect("sender");
    sender.send(&email("person@example.org")).await.expect("sent");
    sink.wait_for(1, Duration::from_secs(5)).await.expect("received").remove(0)
}

#[tokio::test]
async fn dkim_rsa_pkcs8_and_pkcs1_signatures_verify() {
    let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let pkcs8 = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).expect("pkcs8");
    let public = key.public_key().as_ref().to_vec();
    let m = send_signed(pem("PRIVATE KEY", pkcs8.as_ref())).await;
    verify_dkim(&m, Verify::Rsa(&public), "notify1", "agency.example").expect("verified");

    // PKCS#1 is the OCTET STRING inside PKCS#8: SEQUENCE { INTEGER, SEQUENCE { OID, NULL }, OCTET STRING }.
    let der = pkcs8.as_ref();
    let inner = &der[4..]; // 30 82 LL LL
    let after_version = &inner[3..]; // 02 01 00
    let after_algorithm = &after_version[2 + usize::from(after_version[1])..];
    assert_eq!(after_algorithm[..2], [0x04, 0x82]);
    let pkcs1 = &after_algorithm[4..];
    let m = send_signed(pem("RSA PRIVATE KEY", pkcs1)).await;
    verify_dkim(&m, Verify::Rsa(&public), "notify1", "agency.example").expect("verified");
}

#[tokio::test]
async fn dkim_ed25519_signature_verifies() {
    let pkcs8 = signature::Ed25519KeyPair::generate_pkcs8(&rand::SystemRandom::new()).expect("key");
    let key = signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse");
    let m = send_signed(pem("PRIVATE KEY", pkcs8.as_ref())).await;
    verify_dkim(&m, Verify::Ed25519(key.public_key().as_ref()), "notify1", "agency.example").expect("verified");
}

#[tokio::test]
async fn dkim_tampering_is_detected_by_the_verifier() {
    let pkcs8 = signature::Ed25519KeyPair::generate_pkcs8(&rand::SystemRandom::new()).expect("key");
    let key = signature::Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("parse");
    let mut m = send_signed(pem("PRIVATE KEY", pkcs8.as_ref())).await;
    let public = key.public_key().as_ref().to_vec();
    verify_dkim(&m, Verify::Ed25519(&public), "notify1", "agency.example").expect("verified as sent");
    let text = m.text().replacen("Subject: Your tax return", "Subject: Your tax refund", 1);
    m.data = text.into_bytes();
    let outcome = verify_dkim(&m, Verify::Ed25519(&public), "notify1", "agency.example");
    assert!(outcome.is_err_and(|e| e.contains("does not verify")), "a changed subject must not verify");
    let text = m.text().replacen("Subject: Your tax refund", "Subject: Your tax return", 1).replacen(
        "<p>Bye</p>",
        "<p>Pay now</p>",
        1,
    );
    m.data = text.into_bytes();
    let outcome = verify_dkim(&m, Verify::Ed25519(&public), "notify1", "agency.example");
    assert!(outcome.is_err_and(|e| e.starts_with("bh=")), "a changed body must not verify");
}

#[test]
fn dkim_unusable_keys_are_technical() {
    for key in [
        "",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ] {
        let dkim = DkimSettings { selector: "s".into(), domain: "agency.example".into(), private_key_pem: key.into() };
        let settings = SmtpSettings { dkim: Some(dkim), ..settings("smtp://127.0.0.1:25".into()) };
        assert!(matches!(SmtpSender::new(&settings), Err(DeliveryError::Technical(_))), "{key:?}");
    }
}

// --- SMS gateway ---

#[derive(Clone, Default)]
struct Gateway {
    seen: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
}

/// Answers according to the last three digits of `to`: 200 with a reference, 299 → 200 without
/// one, 302, 400, 401, 404, 422, 429, 500, 503, 999 → sleeps past the client's timeout.
async fn gateway_handler(
    State(gateway): State<Gateway>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    gateway.seen.lock().expect("lock").push((headers, body.clone()));
    let to = body["to"].as_str().unwrap_or_default();
    let code: u16 = to[to.len() - 3..].parse().unwrap_or(500);
    match code {
        200 => Json(json!({"reference": format!("gw-{}", body["id"].as_str().unwrap_or_default())})).into_response(),
        299 => (StatusCode::OK, Json(json!({"queued": true}))).into_response(),
        999 => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK.into_response()
        }
        other => {
            let status = StatusCode::from_u16(other).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, [("location", "https://elsewhere.example/")], Json(json!({"error": format!("code {other}")})))
                .into_response()
        }
    }
}

async fn start_gateway() -> (Gateway, String) {
    let gateway = Gateway::default();
    let app =
        axum::Router::new().route("/v1/messages", axum::routing::post(gateway_handler)).with_state(gateway.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/v1/messages", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (gateway, url)
}

fn sms(to: &str) -> OutgoingSms {
    OutgoingSms {
        notification_id: Uuid::now_v7(),
        to: to.into(),
        body: "Your code is 123456".into(),
        sender: Some("GOVAGENCY".into()),
    }
}

#[tokio::test]
async fn sms_gateway_contract_and_error_mapping() {
    let (gateway, url) = start_gateway().await;
    let provider =
        HttpSmsProvider::new(&HttpSmsSettings { url, token: "tok-123".into(), timeout: Duration::from_millis(800) })
            .expect("provider");

    let message = sms("+447700900200");
    let reference = provider.send(&message).await.expect("sent");
    assert_eq!(reference, format!("gw-{}", message.notification_id));
    {
        let seen = gateway.seen.lock().expect("lock");
        let (headers, body) = &seen[0];
        assert_eq!(headers["authorization"], "Bearer tok-123");
        assert_eq!(headers["idempotency-key"], message.notification_id.to_string().as_str());
        assert_eq!(
            body,
            &json!({
                "id": message.notification_id,
                "to": "+447700900200",
                "body": "Your code is 123456",
                "sender": "GOVAGENCY"
            })
        );
    }
    let mut no_sender = sms("+447700900200");
    no_sender.sender = None;
    provider.send(&no_sender).await.expect("sent");
    assert_eq!(gateway.seen.lock().expect("lock")[1].1["sender"], Value::Null);

    for (to, expected) in [
        ("+447700900400", "permanent-failure"),
        ("+447700900422", "permanent-failure"),
        ("+447700900401", "technical-failure"),
        ("+447700900403", "technical-failure"),
        ("+447700900404", "technical-failure"),
        ("+447700900302", "technical-failure"),
        ("+447700900299", "technical-failure"),
        ("+447700900429", "temporary-failure"),
        ("+447700900500", "temporary-failure"),
        ("+447700900503", "temporary-failure"),
        ("+447700900999", "temporary-failure"),
        ("07700900200", "permanent-failure"),
    ] {
        let err = provider.send(&sms(to)).await.expect_err(to);
        assert_eq!(err.status(), expected, "{to}: {err}");
    }
    let err = provider.send(&sms("+447700900400")).await.expect_err("400");
    assert!(err.detail().contains("code 400"), "the gateway's answer is kept: {err}");
}

#[tokio::test]
async fn sms_gateway_unreachable_is_temporary() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let provider = HttpSmsProvider::new(&HttpSmsSettings {
        url: format!("http://127.0.0.1:{port}/v1/messages"),
        token: "t".into(),
        timeout: Duration::from_secs(2),
    })
    .expect("provider");
    assert!(matches!(provider.send(&sms("+447700900200")).await, Err(DeliveryError::Temporary(_))));
}

#[test]
fn sms_receipts_are_parsed_with_the_providers_token() {
    let provider = HttpSmsProvider::new(&HttpSmsSettings {
        url: "https://sms.example/v1".into(),
        token: "tok".into(),
        timeout: Duration::from_secs(1),
    })
    .expect("provider");
    let receipt = provider
        .parse_receipt(Some("Bearer tok"), br#"{"reference":"gw-1","status":"temporary-failure"}"#)
        .expect("receipt");
    assert_eq!(receipt.status, ReceiptStatus::TemporaryFailure);
    assert_eq!(receipt.status.as_str(), "temporary-failure");
    assert_eq!(provider.parse_receipt(Some("Bearer other"), b"{}"), Err(ReceiptError::Unauthorized));
}

// --- print folder ---

fn letter(pdf: &[u8]) -> OutgoingLetter {
    OutgoingLetter {
        notification_id: Uuid::now_v7(),
        reference: Some("case \"42\"".into()),
        postage: "second".into(),
        address_lines: vec!["A. Person".into(), "1 High Street".into(), "Town".into(), "SW1A 1AA".into()],
        pdf: pdf.to_vec(),
    }
}

#[tokio::test]
async fn print_folder_writes_pdf_and_manifest_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let provider = FolderPrintProvider::new(dir.path().join("outbox")).expect("provider");
    let pdf =
        b"%PDF-1.7\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type /Page >>\n%%EOF\n";
    let first = letter(pdf);
    let reference = provider.send(&first).await.expect("written");
    let (date, file) = reference.split_once('/').expect("date/file");
    assert_eq!(file, format!("{}.pdf", first.notification_id));
    assert_eq!(date.len(), 10);
    let day = provider.dir().join(date);
    assert_eq!(std::fs::read(day.join(file)).expect("pdf"), pdf);

    assert_eq!(provider.send(&first).await.expect("idempotent"), reference);
    let second = letter(b"%PDF-1.4 other");
    provider.send(&second).await.expect("written");

    let manifest = std::fs::read_to_string(day.join("manifest.jsonl")).expect("manifest");
    let lines: Vec<ManifestEntry> = manifest.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert_eq!(lines.len(), 2, "{manifest}");
    let entry = &lines[0];
    assert_eq!(entry.id, first.notification_id);
    assert_eq!(entry.reference.as_deref(), Some("case \"42\""));
    assert_eq!(entry.postage, "second");
    assert_eq!(entry.address, first.address_lines);
    assert_eq!(entry.pages, Some(2));
    assert_eq!(entry.bytes, pdf.len() as u64);
    assert_eq!(entry.file, file);
    let sha: String = digest::digest(&digest::SHA256, pdf).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(entry.sha256, sha);
    assert_eq!(lines[1].id, second.notification_id);
    assert_eq!(lines[1].pages, None);
    let raw: Value = serde_json::from_str(manifest.lines().next().expect("line")).expect("json");
    assert!(raw["created_at"].as_str().is_some_and(|t| t.starts_with(date)));
}

#[tokio::test]
async fn print_folder_refuses_what_it_cannot_print() {
    let dir = tempfile::tempdir().expect("tempdir");
    let provider = FolderPrintProvider::new(dir.path()).expect("provider");
    let mut not_pdf = letter(b"hello");
    assert!(matches!(provider.send(&not_pdf).await, Err(DeliveryError::Technical(_))));
    not_pdf.pdf = b"%PDF-1.7".to_vec();
    not_pdf.postage = "carrier-pigeon".into();
    assert!(matches!(provider.send(&not_pdf).await, Err(DeliveryError::Technical(_))));
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    assert!(matches!(FolderPrintProvider::new(file.join("sub")), Err(DeliveryError::Technical(_))));
}
