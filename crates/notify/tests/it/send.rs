//! Legal notifications (SEND) end to end, on SQLite and PostgreSQL: upload with checksum,
//! submission and validation, delivery to a digital domicile over real SMTP, the paper fallback
//! to the print folder, refinement by lapse of time on a moved clock and by viewing, event
//! streams, cancellation, legal facts whose hashes are audited and whose PAdES signatures
//! verify, and the recipient signed in with a verified identity (through the kernel's stand-in
//! identity provider, `TestSignIn`) reading their notifications and managing their addresses.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use publica_kernel::citizen::testing::TestSignIn;
use publica_kernel::citizen::{Aal, Citizen, Ial};
use publica_kernel::db::Timestamp;
use publica_kernel::testing::TestApp;
use publica_kernel::{Block, Kernel};
use publica_notify::NotifyBlock;
use publica_notify::domain::template::{Letter, LetterLanguage, letter_pdf};
use publica_notify::send::{self, iun, pades};
use publica_notify::testing::SmtpSink;
use serde_json::{Value, json};

/// The service's clock, moved by tests.
#[derive(Clone)]
struct Clock(Arc<AtomicI64>);

impl Clock {
    fn install(app: &TestApp) -> Clock {
        let offset = Arc::new(AtomicI64::new(0));
        let clock = Clock(offset.clone());
        let send = app.kernel.get::<send::Send>().expect("send service");
        send.set_clock(Arc::new(move || Timestamp::now().plus(time::Duration::seconds(offset.load(Ordering::SeqCst)))));
        clock
    }

    /// Make the service's "now" equal `at` (approximately: real time keeps running).
    fn set(&self, at: Timestamp) {
        self.0.store(at.unix_seconds() - Timestamp::now().unix_seconds(), Ordering::SeqCst);
    }
}

async fn apps(sink: &SmtpSink, page_size: i64) -> Vec<(TestApp, Value)> {
    let url = sink.url();
    let mut out = Vec::new();
    for app in TestApp::each_with(&[Arc::new(NotifyBlock)], |c| {
        c.sections.insert(
            "notify".into(),
            json!({"smtp_url": url, "send": {"stream_page_size": page_size, "stream_retry_after_ms": 30000}}),
        );
    })
    .await
    {
        let demo = seed(&app.kernel).await;
        TestSignIn::install(&app.kernel);
        out.push((app, demo));
    }
    out
}

async fn seed(kernel: &Kernel) -> Value {
    publica_kernel::block::KernelBlock.seed_demo(kernel).await.expect("kernel demo");
    NotifyBlock.seed_demo(kernel).await.expect("notify demo")["send"].clone()
}

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: Value,
    bytes: Vec<u8>,
}

async fn call(app: &TestApp, method: &str, path: &str, headers: &[(&str, &str)], body: Option<Vec<u8>>) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let response = app.request(builder.body(body.map(Body::from).unwrap_or_else(Body::empty)).expect("request")).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
    Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), bytes }
}

fn json_body(v: &Value) -> Option<Vec<u8>> {
    Some(v.to_string().into_bytes())
}

fn sender(demo: &Value) -> Vec<(&'static str, &str)> {
    vec![("x-api-key", demo["sender_api_key"].as_str().expect("key")), ("content-type", "application/json")]
}

/// A browser's cookie: signed in at the stand-in identity provider.
struct Session(String);

impl Session {
    fn headers(&self) -> Vec<(&'static str, &str)> {
        vec![("cookie", self.0.as_str())]
    }
}

/// Signed in as `national_id` (verified when given), at `aal`.
fn session(app: &TestApp, national_id: Option<&str>, aal: Aal) -> Session {
    let citizen = Citizen {
        account_id: uuid::Uuid::now_v7(),
        national_id: national_id.map(str::to_string),
        ial: if national_id.is_some() { Ial::Verified } else { Ial::None },
        aal,
        auth_time: Timestamp::now(),
    };
    Session(app.kernel.get::<TestSignIn>().expect("a stand-in identity provider").sign_in(citizen))
}

/// Signed in as the recipient `tax_id`, verified, with two factors.
fn person(app: &TestApp, tax_id: &str) -> Session {
    session(app, Some(tax_id), Aal::Aal2)
}

fn pdf(text: &str) -> Vec<u8> {
    let p =
        json!({"address_line_1": "Ufficio tributi", "address_line_2": "Via Roma 1", "address_line_3": "00100 Roma"});
    let letter = Letter {
        subject: "Avviso di accertamento",
        content: text,
        personalisation: p.as_object().expect("map"),
        contact_block: None,
        date: time::macros::date!(2025 - 01 - 08),
        language: LetterLanguage::English,
    };
    letter_pdf(&letter).expect("pdf")
}

fn sha(bytes: &[u8]) -> String {
    STANDARD.encode(publica_kernel::crypto::sha256(bytes))
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("/".into(), |i| rest[i..].to_string())
}

/// Preload and upload `bytes`; returns the reference for the request.
async fn upload(app: &TestApp, demo: &Value, bytes: &[u8]) -> Value {
    let digest = sha(bytes);
    let body = json!([{"preloadIdx": "doc-1", "contentType": "application/pdf", "sha256": digest}]);
    let pre = call(app, "POST", "/delivery/attachments/preload", &sender(demo), json_body(&body)).await;
    assert_eq!(pre.status, 200, "{}", pre.body);
    let slot = &pre.body[0];
    assert_eq!(slot["preloadIdx"], "doc-1");
    assert_eq!(slot["httpMethod"], "PUT");
    let key = slot["key"].as_str().expect("key");
    assert!(key.starts_with("PN_NOTIFICATION_ATTACHMENTS-"), "{key}");
    let headers = [
        ("content-type", "application/pdf"),
        ("x-amz-meta-secret", slot["secret"].as_str().expect("secret")),
        ("x-amz-checksum-sha256", digest.as_str()),
    ];
    let put = call(app, "PUT", &path_of(slot["url"].as_str().expect("url")), &headers, Some(bytes.to_vec())).await;
    assert_eq!(put.status, 200, "{}", put.body);
    let version = put.headers.get("x-amz-version-id").expect("version").to_str().expect("ascii");
    json!({"digests": {"sha256": digest}, "contentType": "application/pdf", "ref": {"key": key, "versionToken": version}, "title": "Avviso"})
}

fn request(demo: &Value, protocol: &str, recipient: Value, document: Value) -> Value {
    json!({
        "idempotenceToken": "t1", "paProtocolNumber": protocol, "subject": "Tax assessment 2024",
        "senderDenomination": "Demoland Tax Office", "senderTaxId": demo["sender_tax_id"], "taxonomyCode": "010101P",
        "notificationFeePolicy": "FLAT_RATE", "physicalCommunicationType": "AR_REGISTERED_LETTER",
        "recipients": [recipient], "documents": [document],
    })
}

/// Submit and wait until the request is ACCEPTED or REFUSED; returns the status answer.
async fn submit(app: &TestApp, demo: &Value, body: &Value) -> Value {
    let sent = call(app, "POST", "/delivery/v2.6/requests", &sender(demo), json_body(body)).await;
    assert_eq!(sent.status, 202, "{}: {}", app.backend, sent.body);
    let id = sent.body["notificationRequestId"].as_str().expect("request id").to_string();
    assert_eq!(id.len(), 36);
    assert_eq!(sent.body["paProtocolNumber"], body["paProtocolNumber"]);
    let path = format!("/delivery/v2.6/requests?notificationRequestId={}", urlencode(&id));
    wait(app, &path, &sender(demo), |b| b["notificationRequestStatus"] != "WAITING").await
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
}

async fn wait(app: &TestApp, path: &str, headers: &[(&str, &str)], done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let got = call(app, "GET", path, headers, None).await;
        if got.status == 200 && done(&got.body) {
            return got.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: {path} never got there: {} {}",
            app.backend,
            got.status,
            got.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_status(app: &TestApp, demo: &Value, iun: &str, status: &str) -> Value {
    let path = format!("/delivery/v2.8/notifications/sent/{iun}");
    wait(app, &path, &sender(demo), |b| b["notificationStatus"] == status).await
}

fn categories(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["category"].as_str().unwrap_or("").to_string())
        .collect()
}

fn element<'a>(detail: &'a Value, category: &str) -> &'a Value {
    detail["timeline"].as_array().expect("timeline").iter().find(|e| e["category"] == category).unwrap_or(&Value::Null)
}

fn ts(v: &Value) -> Timestamp {
    Timestamp::parse(v.as_str().expect("a timestamp")).expect("parses")
}

/// Run a refinement sweep now and wait for it to finish.
async fn sweep(app: &TestApp) {
    let done = |jobs: Vec<publica_kernel::jobs::JobRow>| jobs.iter().filter(|j| j.kind == "notify.send.refine").count();
    let before = done(publica_kernel::jobs::list(app.kernel.db(), Some("succeeded"), 10_000).await.expect("jobs"));
    app.kernel.get::<send::Send>().expect("send").sweep_now().await.expect("sweep");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while done(publica_kernel::jobs::list(app.kernel.db(), Some("succeeded"), 10_000).await.expect("jobs")) == before {
        assert!(std::time::Instant::now() < deadline, "the sweep did not run");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Days between a base instant and its refinement, with SEND's 21:00 rule (UTC+1 by default).
fn expected_days(base: Timestamp, days: i64) -> i64 {
    let local = base.inner().to_offset(time::UtcOffset::from_hms(1, 0, 0).expect("offset"));
    days + i64::from((local.hour(), local.minute(), local.second()) > (21, 0, 0))
}

/// A legal fact's PDF, downloaded through its signed URL.
async fn legal_fact_pdf(app: &TestApp, headers: &[(&str, &str)], iun: &str, key: &str) -> (Value, Vec<u8>) {
    let meta = call(app, "GET", &format!("/delivery-push/{iun}/download/legal-facts/{key}"), headers, None).await;
    assert_eq!(meta.status, 200, "{}", meta.body);
    let file = call(app, "GET", &path_of(meta.body["url"].as_str().expect("url")), &[], None).await;
    assert_eq!(file.status, 200);
    (meta.body, file.bytes)
}

/// Check a PAdES signature independently of the block's verifier: the byte range covers the
/// file but the signature, the CMS message digest is the range's SHA-256, and the ECDSA
/// signature over the signed attributes verifies with the embedded certificate's key.
fn check_signature(pdf: &[u8]) {
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    use x509_cert::der::Encode;
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind("/ByteRange [").expect("a signature") + "/ByteRange [".len();
    let end = at + text[at..].find(']').expect("range end");
    let r: Vec<usize> = text[at..end].split_whitespace().map(|n| n.parse().expect("number")).collect();
    assert_eq!((r[0], r[2] + r[3]), (0, pdf.len()), "the range covers the whole file");
    let hex = &pdf[r[1] + 1..r[2] - 1];
    let der: Vec<u8> =
        hex.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("hex"), 16).expect("hex")).collect();
    let mut reader = x509_cert::der::SliceReader::new(&der).expect("reader");
    let info = <ContentInfo as x509_cert::der::Decode>::decode(&mut reader).expect("CMS");
    let data: SignedData = info.content.decode_as().expect("SignedData");
    let signer = data.signer_infos.0.iter().next().expect("signer");
    let attrs = signer.signed_attrs.as_ref().expect("signed attributes");
    let digest_attr = attrs.iter().find(|a| a.oid.to_string() == "1.2.840.113549.1.9.4").expect("messageDigest");
    let declared = digest_attr
        .values
        .iter()
        .next()
        .expect("value")
        .decode_as::<x509_cert::der::asn1::OctetString>()
        .expect("octets");
    let mut signed = pdf[..r[1]].to_vec();
    signed.extend_from_slice(&pdf[r[2]..]);
    assert_eq!(declared.as_bytes(), publica_kernel::crypto::sha256(&signed));
    let cert = match data.certificates.as_ref().expect("certificates").0.iter().next().expect("one") {
        cms::cert::CertificateChoices::Certificate(c) => c.clone(),
        _ => panic!("a certificate"),
    };
    let point = cert.tbs_certificate.subject_public_key_info.subject_public_key.as_bytes().expect("key");
    aws_lc_rs::signature::UnparsedPublicKey::new(&aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1, point)
        .verify(&attrs.to_der().expect("der"), signer.signature.as_bytes())
        .expect("the signature verifies");
}

#[test]
fn iuns_carry_sends_check_character() {
    for valid in ["DPDA-LVZM-JREL-202501-N-1", "UJRX-APEQ-UEYZ-202606-R-1", "NMDX-NVHP-UEZE-202606-Y-1"] {
        assert!(iun::is_valid(valid), "{valid}");
    }
    assert!(!iun::is_valid("ABCD-ABCD-ABCD-202212-V-1"));
    assert_eq!(iun::check_char("DPDA-LVZM-JREL", "202501"), 'N');
    let generated = iun::generate(Timestamp::parse("2026-06-30T23:59:59Z").expect("time"));
    assert!(iun::is_valid(&generated) && generated.contains("-202606-"), "{generated}");
    assert_eq!(iun::iun_of_request_id(&iun::request_id(&generated)), Some(generated));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_digital_domicile_gets_it_and_seven_days_later_it_is_refined() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let clock = Clock::install(&app);
        let doc = upload(&app, &demo, &pdf("You owe 100 euro.")).await;
        let tax_id = demo["recipient_with_domicile"]["taxId"].as_str().expect("tax id");
        let recipient = json!({"recipientType": "PF", "taxId": tax_id, "denomination": "Mario Rossi"});
        let status = submit(&app, &demo, &request(&demo, "2025/D-1", recipient, doc)).await;
        assert_eq!(status["notificationRequestStatus"], "ACCEPTED", "{status}");
        let iun = status["iun"].as_str().expect("iun").to_string();
        assert!(iun::is_valid(&iun), "{iun}");

        let detail = wait_status(&app, &demo, &iun, "DELIVERED").await;
        let cats = categories(&detail);
        for c in [
            "REQUEST_ACCEPTED",
            "SEND_COURTESY_MESSAGE",
            "GET_ADDRESS",
            "SEND_DIGITAL_DOMICILE",
            "SEND_DIGITAL_FEEDBACK",
            "DIGITAL_SUCCESS_WORKFLOW",
            "SCHEDULE_REFINEMENT",
        ] {
            assert!(cats.contains(&c.to_string()), "{}: {c} missing from {cats:?}", app.backend);
        }
        assert_eq!(element(&detail, "SEND_DIGITAL_DOMICILE")["details"]["digitalAddressSource"], "PLATFORM");
        let history: Vec<&str> = detail["notificationStatusHistory"]
            .as_array()
            .expect("history")
            .iter()
            .map(|h| h["status"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(history, vec!["ACCEPTED", "DELIVERING", "DELIVERED"]);

        // The notice reached the domicile and the courtesy address over SMTP.
        let domicile = demo["recipient_with_domicile"]["digitalDomicile"].as_str().expect("domicile");
        let courtesy = demo["recipient_with_domicile"]["courtesyEmail"].as_str().expect("courtesy");
        let messages = sink.messages();
        let legal = messages
            .iter()
            .find(|m| m.rcpt_to == vec![domicile.to_string()] && m.text().contains(&iun))
            .expect("the notice reached the domicile");
        assert!(legal.header("Subject").expect("subject").contains(&iun));
        assert!(
            messages.iter().any(|m| m.rcpt_to == vec![courtesy.to_string()] && m.text().contains("no legal value"))
        );

        // Refinement: due 7 days after delivery (8 when delivered after 21:00), not before.
        let delivered = ts(&element(&detail, "DIGITAL_SUCCESS_WORKFLOW")["timestamp"]);
        let due = ts(&element(&detail, "SCHEDULE_REFINEMENT")["details"]["schedulingDate"]);
        assert_eq!((due.inner() - delivered.inner()).whole_days(), expected_days(delivered, 7));
        clock.set(due.plus(time::Duration::minutes(-5)));
        sweep(&app).await;
        let still = call(&app, "GET", &format!("/delivery/v2.8/notifications/sent/{iun}"), &sender(&demo), None).await;
        assert_eq!(still.body["notificationStatus"], "DELIVERED");
        clock.set(due.plus(time::Duration::minutes(1)));
        sweep(&app).await;
        let refined = wait_status(&app, &demo, &iun, "EFFECTIVE_DATE").await;
        assert_eq!(ts(&element(&refined, "REFINEMENT")["timestamp"]), due);

        // Legal facts: the sender's acknowledgement and the digital delivery, sealed, audited.
        let facts = call(&app, "GET", &format!("/delivery-push/{iun}/legal-facts"), &sender(&demo), None).await;
        let listed: Vec<(String, String)> = facts
            .body
            .as_array()
            .expect("facts")
            .iter()
            .map(|f| {
                (
                    f["legalFactsId"]["category"].as_str().unwrap_or("").into(),
                    f["legalFactsId"]["key"].as_str().unwrap_or("").into(),
                )
            })
            .collect();
        assert_eq!(
            listed.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
            vec!["SENDER_ACK", "DIGITAL_DELIVERY"],
            "{}",
            facts.body
        );
        let audit = publica_kernel::audit::list(app.kernel.db(), None, None, 1000).await.expect("audit");
        for (category, key) in &listed {
            let (meta, bytes) = legal_fact_pdf(&app, &sender(&demo), &iun, key).await;
            assert!(bytes.starts_with(b"%PDF-"));
            let entry = audit
                .iter()
                .find(|e| e.action == "notify.send.legal_fact.created" && &e.object_id == key)
                .expect("audited");
            let details: Value = serde_json::from_str(&entry.details).expect("details");
            assert_eq!(details["sha256"], sha(&bytes), "{category}: the audit log holds the hash of the served PDF");
            assert_eq!(meta["sha256"], sha(&bytes));
            check_signature(&bytes);
            let verified = pades::verify(&bytes).expect("the block's verifier agrees");
            let seal = call(&app, "GET", "/delivery-push/seal-certificate", &[], None).await;
            assert_eq!(verified.certificate, seal.bytes, "signed with the published seal");
            let mut forged = bytes.clone();
            let at = forged.windows(4).position(|w| w == b"IUN ").expect("text");
            forged[at] = b'X';
            assert_eq!(pades::verify(&forged), Err(pades::PadesError::DigestMismatch));
        }
        assert!(publica_kernel::audit::verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").is_ok());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_domicile_a_letter_goes_to_the_printer_and_ten_days_later_it_is_refined() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let clock = Clock::install(&app);
        let doc = upload(&app, &demo, &pdf("A fine.")).await;
        let who = &demo["recipient_without_domicile"];
        let recipient = json!({"recipientType": "PF", "taxId": who["taxId"], "denomination": who["denomination"],
            "physicalAddress": {"address": "Via Garibaldi 7", "zip": "20121", "municipality": "Milano", "province": "MI"}});
        let status = submit(&app, &demo, &request(&demo, "2025/P-1", recipient, doc)).await;
        let iun = status["iun"].as_str().expect("accepted").to_string();
        let detail = wait_status(&app, &demo, &iun, "DELIVERED").await;
        let cats = categories(&detail);
        for c in [
            "GET_ADDRESS",
            "SEND_ANALOG_DOMICILE",
            "SEND_ANALOG_FEEDBACK",
            "ANALOG_SUCCESS_WORKFLOW",
            "SCHEDULE_REFINEMENT",
        ] {
            assert!(cats.contains(&c.to_string()), "{c} missing from {cats:?}");
        }
        assert!(!cats.contains(&"SEND_DIGITAL_DOMICILE".to_string()));
        assert_eq!(element(&detail, "SEND_ANALOG_DOMICILE")["details"]["productType"], "AR");

        // The notice of receipt is a PDF in the print folder, addressed to the recipient.
        let day = crate::print_day(app.data_dir());
        let manifest = std::fs::read_to_string(day.join("manifest.jsonl")).expect("manifest");
        let line: Value = serde_json::from_str(manifest.lines().next().expect("a letter")).expect("json");
        assert_eq!(line["address"][0], "Luigia Verdi");
        assert!(line["address"].as_array().expect("lines").iter().any(|l| l == "20121 Milano (MI)"), "{line}");
        let letter = std::fs::read(day.join(line["file"].as_str().expect("file"))).expect("pdf");
        assert!(letter.starts_with(b"%PDF-"));
        assert!(sink.messages().is_empty(), "nothing by email: no address was registered");

        let sent = ts(&element(&detail, "ANALOG_SUCCESS_WORKFLOW")["timestamp"]);
        let due = ts(&element(&detail, "SCHEDULE_REFINEMENT")["details"]["schedulingDate"]);
        assert_eq!((due.inner() - sent.inner()).whole_days(), expected_days(sent, 10));
        clock.set(due.plus(time::Duration::days(-1)));
        sweep(&app).await;
        assert_eq!(wait_status(&app, &demo, &iun, "DELIVERED").await["notificationStatus"], "DELIVERED");
        clock.set(due.plus(time::Duration::seconds(30)));
        sweep(&app).await;
        wait_status(&app, &demo, &iun, "EFFECTIVE_DATE").await;
        let facts = call(&app, "GET", &format!("/delivery-push/{iun}/legal-facts"), &sender(&demo), None).await;
        let kinds: Vec<&str> = facts
            .body
            .as_array()
            .expect("facts")
            .iter()
            .map(|f| f["legalFactsId"]["category"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(kinds, vec!["SENDER_ACK", "ANALOG_DELIVERY"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewing_refines_at_once_and_the_lapse_of_time_then_does_nothing() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let clock = Clock::install(&app);
        let doc = upload(&app, &demo, &pdf("Please pay.")).await;
        let tax_id = demo["recipient_with_domicile"]["taxId"].as_str().expect("tax id").to_string();
        let recipient = json!({"recipientType": "PF", "taxId": tax_id, "denomination": "Mario Rossi"});
        let iun = submit(&app, &demo, &request(&demo, "2025/V-1", recipient, doc)).await["iun"]
            .as_str()
            .expect("iun")
            .to_string();
        let detail = wait_status(&app, &demo, &iun, "DELIVERED").await;
        let due = ts(&element(&detail, "SCHEDULE_REFINEMENT")["details"]["schedulingDate"]);

        // Only the recipient, signed in with a verified identity and two factors, reads it: no
        // access is recorded for anyone else.
        let path = format!("/delivery/notifications/received/{iun}");
        let sign_in = format!("/test/sign-in?return_to=%2Fdelivery%2Fnotifications%2Freceived%2F{iun}&aal=aal2");
        let anonymous = call(&app, "GET", &path, &[], None).await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.body);
        assert_eq!(anonymous.headers["content-type"], "application/problem+json");
        assert_eq!(anonymous.body["signInUrl"], sign_in.as_str(), "{}", anonymous.body);
        let weak = call(&app, "GET", &path, &session(&app, Some(&tax_id), Aal::Aal1).headers(), None).await;
        assert_eq!((weak.status, weak.body["signInUrl"].as_str()), (403, Some(sign_in.as_str())), "{}", weak.body);
        let unverified = call(&app, "GET", &path, &session(&app, None, Aal::Aal2).headers(), None).await;
        assert_eq!(unverified.status, 403, "{}", unverified.body);
        let proofing = format!("/test/proofing?return_to=%2Fdelivery%2Fnotifications%2Freceived%2F{iun}");
        assert_eq!(unverified.body["signInUrl"], proofing.as_str());
        let recipient = person(&app, &tax_id);
        let cookie = recipient.0.as_str();
        let key = demo["sender_api_key"].as_str().expect("key");
        for (headers, why) in [
            (vec![("x-api-key", key), ("cookie", cookie)], "API keys are for senders"),
            (vec![("x-publica-national-id", tax_id.as_str()), ("cookie", cookie)], "no longer accepted"),
            (vec![("sec-fetch-site", "cross-site"), ("cookie", cookie)], "another site"),
        ] {
            let refused = call(&app, "GET", &path, &headers, None).await;
            assert_eq!(refused.status, 403, "{why}: {}", refused.body);
            assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains(why)), "{why}: {}", refused.body);
        }
        let sent = format!("/delivery/v2.8/notifications/sent/{iun}");
        let untouched = call(&app, "GET", &sent, &sender(&demo), None).await;
        assert!(elements(&untouched.body, "NOTIFICATION_VIEWED").is_empty(), "nobody has read it yet");
        let list = call(
            &app,
            "GET",
            "/delivery/notifications/received?startDate=2000-01-01T00:00:00Z&endDate=2100-01-01T00:00:00Z",
            &person(&app, &tax_id).headers(),
            None,
        )
        .await;
        assert_eq!(list.status, 200, "{}", list.body);
        assert_eq!(list.body["resultsPage"][0]["iun"], iun.as_str());
        let someone_else = call(
            &app,
            "GET",
            &format!("/delivery/notifications/received/{iun}"),
            &person(&app, "VRDLGU75C41F205X").headers(),
            None,
        )
        .await;
        assert_eq!(someone_else.status, 404);

        let seen = call(
            &app,
            "GET",
            &format!("/delivery/notifications/received/{iun}"),
            &person(&app, &tax_id).headers(),
            None,
        )
        .await;
        assert_eq!(seen.status, 200, "{}", seen.body);
        assert_eq!(seen.body["recipients"].as_array().expect("recipients").len(), 1);
        let viewed = wait_status(&app, &demo, &iun, "VIEWED").await;
        assert_eq!(element(&viewed, "NOTIFICATION_VIEWED")["legalFactsIds"][0]["category"], "RECIPIENT_ACCESS");
        // A second access records nothing more.
        call(&app, "GET", &format!("/delivery/notifications/received/{iun}"), &person(&app, &tax_id).headers(), None)
            .await;
        clock.set(due.plus(time::Duration::hours(1)));
        sweep(&app).await;
        let after = call(&app, "GET", &format!("/delivery/v2.8/notifications/sent/{iun}"), &sender(&demo), None).await;
        let cats = categories(&after.body);
        assert_eq!(cats.iter().filter(|c| *c == "NOTIFICATION_VIEWED").count(), 1);
        assert!(!cats.contains(&"REFINEMENT".to_string()), "already refined by viewing: {cats:?}");
        assert_eq!(after.body["notificationStatus"], "VIEWED");
        let facts =
            call(&app, "GET", &format!("/delivery-push/{iun}/legal-facts"), &person(&app, &tax_id).headers(), None)
                .await;
        let access = facts
            .body
            .as_array()
            .expect("facts")
            .iter()
            .find(|f| f["legalFactsId"]["category"] == "RECIPIENT_ACCESS")
            .expect("access fact");
        let (_, bytes) = legal_fact_pdf(
            &app,
            &person(&app, &tax_id).headers(),
            &iun,
            access["legalFactsId"]["key"].as_str().expect("key"),
        )
        .await;
        check_signature(&bytes);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksums_are_enforced_at_upload_and_at_validation() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let bytes = pdf("Checked.");
        let body = json!([{"contentType": "application/pdf", "sha256": sha(&bytes)}]);
        let pre = call(&app, "POST", "/delivery/attachments/preload", &sender(&demo), json_body(&body)).await;
        let slot = &pre.body[0];
        let wrong = sha(b"something else");
        let headers = [
            ("content-type", "application/pdf"),
            ("x-amz-meta-secret", slot["secret"].as_str().expect("secret")),
            ("x-amz-checksum-sha256", wrong.as_str()),
        ];
        let put = call(&app, "PUT", &path_of(slot["url"].as_str().expect("url")), &headers, Some(bytes.clone())).await;
        assert_eq!(put.status, 400, "{}", put.body);
        assert_eq!(put.body["errors"][0]["code"], "FILE_SHA_ERROR");
        let bad_secret =
            [("content-type", "application/pdf"), ("x-amz-meta-secret", "nope"), ("x-amz-checksum-sha256", "x")];
        assert_eq!(
            call(&app, "PUT", &path_of(slot["url"].as_str().expect("url")), &bad_secret, Some(bytes.clone()))
                .await
                .status,
            403
        );

        // The request declares another digest than the uploaded file's: refused after validation.
        let mut doc = upload(&app, &demo, &bytes).await;
        doc["digests"]["sha256"] = json!(sha(b"another document"));
        let recipient = json!({"recipientType": "PF", "taxId": "VRDLGU75C41F205X", "denomination": "Luigia Verdi"});
        let status = submit(&app, &demo, &request(&demo, "2025/S-1", recipient.clone(), doc)).await;
        assert_eq!(status["notificationRequestStatus"], "REFUSED", "{status}");
        assert_eq!(status["errors"][0]["code"], "FILE_SHA_ERROR");
        assert!(status["iun"].is_null());

        // Schema errors name the field, in SEND's Problem envelope.
        let mut invalid = request(&demo, "2025/S-2", recipient, json!({}));
        invalid["senderTaxId"] = json!("123");
        let refused = call(&app, "POST", "/delivery/v2.6/requests", &sender(&demo), json_body(&invalid)).await;
        assert_eq!(refused.status, 400);
        assert_eq!(refused.headers["content-type"], "application/problem+json");
        assert!(refused.body["traceId"].is_string() && refused.body["title"].is_string());
        let elements: Vec<&str> = refused.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["element"].as_str().unwrap_or(""))
            .collect();
        assert!(
            elements.contains(&"body.senderTaxId") && elements.contains(&"body.documents[0].digests.sha256"),
            "{elements:?}"
        );
        let no_key =
            call(&app, "POST", "/delivery/v2.6/requests", &[("content-type", "application/json")], json_body(&invalid))
                .await;
        assert_eq!(no_key.status, 403);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_page_in_order_and_resume_from_the_last_event_id() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 3).await {
        let _worker = app.worker();
        let stream = call(
            &app,
            "POST",
            "/delivery-progresses/v2.9/streams",
            &sender(&demo),
            json_body(&json!({"title": "all", "eventType": "TIMELINE", "groups": []})),
        )
        .await;
        assert_eq!(stream.status, 200, "{}", stream.body);
        let id = stream.body["streamId"].as_str().expect("id").to_string();
        let statuses = call(
            &app,
            "POST",
            "/delivery-progresses/v2.9/streams",
            &sender(&demo),
            json_body(
                &json!({"title": "statuses", "eventType": "STATUS", "groups": [], "filterValues": ["DELIVERED"]}),
            ),
        )
        .await;
        let status_id = statuses.body["streamId"].as_str().expect("id").to_string();

        let doc = upload(&app, &demo, &pdf("Streamed.")).await;
        let tax_id = demo["recipient_with_domicile"]["taxId"].as_str().expect("tax id");
        let recipient = json!({"recipientType": "PF", "taxId": tax_id, "denomination": "Mario Rossi"});
        let iun = submit(&app, &demo, &request(&demo, "2025/E-1", recipient, doc)).await["iun"]
            .as_str()
            .expect("iun")
            .to_string();
        let detail = wait_status(&app, &demo, &iun, "DELIVERED").await;
        let expected: Vec<String> = detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .map(|e| e["elementId"].as_str().unwrap_or("").to_string())
            .collect();

        let path = format!("/delivery-progresses/v2.9/streams/{id}/events");
        let first = call(&app, "GET", &path, &sender(&demo), None).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.body.as_array().expect("page").len(), 3);
        assert_eq!(first.headers["retry-after"], "0", "more events are waiting");
        // Reading again without acknowledging gives the same page.
        assert_eq!(call(&app, "GET", &path, &sender(&demo), None).await.body, first.body);
        let mut seen: Vec<Value> = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let url = match &last {
                Some(l) => format!("{path}?lastEventId={l}"),
                None => path.clone(),
            };
            let page = call(&app, "GET", &url, &sender(&demo), None).await;
            let events = page.body.as_array().expect("page").clone();
            let retry = page.headers["retry-after"].to_str().expect("header").to_string();
            if let Some(e) = events.last() {
                last = Some(e["eventId"].as_str().expect("event id").to_string());
            }
            seen.extend(events);
            if retry != "0" {
                assert_eq!(retry, "30000");
                break;
            }
        }
        let ids: Vec<&str> = seen.iter().map(|e| e["eventId"].as_str().unwrap_or("")).collect();
        assert!(ids.iter().all(|i| i.len() == 38 && i.starts_with('0')));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "event ids increase: {ids:?}");
        let elements: Vec<String> =
            seen.iter().map(|e| e["element"]["elementId"].as_str().unwrap_or("").to_string()).collect();
        assert_eq!(elements, expected, "every element once, in order");
        assert!(seen.iter().all(|e| e["iun"] == iun.as_str()));
        // Acknowledged events are gone.
        let after =
            call(&app, "GET", &format!("{path}?lastEventId={}", last.expect("last")), &sender(&demo), None).await;
        assert_eq!(after.body, json!([]));

        let status_events =
            call(&app, "GET", &format!("/delivery-progresses/v2.9/streams/{status_id}/events"), &sender(&demo), None)
                .await;
        let changes: Vec<&str> = status_events
            .body
            .as_array()
            .expect("page")
            .iter()
            .map(|e| e["newStatus"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(changes, vec!["DELIVERED"]);
        let listed = call(&app, "GET", "/delivery-progresses/v2.9/streams", &sender(&demo), None).await;
        assert_eq!(listed.body.as_array().expect("streams").len(), 2);
        assert_eq!(
            call(&app, "DELETE", &format!("/delivery-progresses/v2.9/streams/{status_id}"), &sender(&demo), None)
                .await
                .status,
            204
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_notification_stops_and_gets_its_legal_fact() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let doc = upload(&app, &demo, &pdf("Cancelled.")).await;
        let recipient = json!({"recipientType": "PF", "taxId": "VRDLGU75C41F205X", "denomination": "Luigia Verdi"});
        let iun = submit(&app, &demo, &request(&demo, "2025/C-1", recipient, doc.clone())).await["iun"]
            .as_str()
            .expect("iun")
            .to_string();
        // No address at all: unreachable, with the deposit legal fact.
        let detail = wait_status(&app, &demo, &iun, "UNREACHABLE").await;
        assert_eq!(
            element(&detail, "COMPLETELY_UNREACHABLE")["legalFactsIds"][0]["category"],
            "ANALOG_FAILURE_DELIVERY"
        );
        let dup = call(
            &app,
            "POST",
            "/delivery/v2.6/requests",
            &sender(&demo),
            json_body(&request(
                &demo,
                "2025/C-1",
                json!({"recipientType": "PF", "taxId": "VRDLGU75C41F205X", "denomination": "L"}),
                doc,
            )),
        )
        .await;
        assert_eq!(dup.status, 409, "{}", dup.body);

        let cancel =
            call(&app, "PUT", &format!("/delivery-push/v2.0/notifications/cancel/{iun}"), &sender(&demo), None).await;
        assert_eq!(cancel.status, 202);
        assert_eq!(cancel.body["details"][0]["code"], "NOTIFICATION_CANCELLATION_ACCEPTED");
        let cancelled = wait_status(&app, &demo, &iun, "CANCELLED").await;
        let el = element(&cancelled, "NOTIFICATION_CANCELLED");
        assert_eq!(el["details"]["notRefinedRecipientIndexes"], json!([0]));
        assert_eq!(el["legalFactsIds"][0]["category"], "NOTIFICATION_CANCELLED");
        let again =
            call(&app, "PUT", &format!("/delivery-push/v2.0/notifications/cancel/{iun}"), &sender(&demo), None).await;
        assert_eq!(again.body["details"][0]["code"], "NOTIFICATION_ALREADY_CANCELLED");
        // The recipient still sees it but cannot download anything.
        let facts = call(
            &app,
            "GET",
            &format!("/delivery-push/{iun}/legal-facts"),
            &person(&app, "VRDLGU75C41F205X").headers(),
            None,
        )
        .await;
        assert_eq!(facts.status, 404);
    }
}

/// The timeline elements of `category`.
fn elements<'a>(detail: &'a Value, category: &str) -> Vec<&'a Value> {
    detail["timeline"].as_array().expect("timeline").iter().filter(|e| e["category"] == category).collect()
}

async fn pay(app: &TestApp, key: &str, path: &str, events: Value) -> Answer {
    let headers = [("x-api-key", key), ("content-type", "application/json")];
    call(app, "POST", path, &headers, json_body(&json!({"events": events}))).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reported_payment_makes_the_notification_paid_once() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, demo) in apps(&sink, 50).await {
        let _worker = app.worker();
        let key = demo["sender_api_key"].as_str().expect("key");
        let creditor = demo["sender_tax_id"].as_str().expect("tax id");
        let new_stream = |body: Value| {
            let app = &app;
            let demo = &demo;
            async move {
                let s = call(app, "POST", "/delivery-progresses/v2.9/streams", &sender(demo), json_body(&body)).await;
                assert_eq!(s.status, 200, "{}", s.body);
                format!("/delivery-progresses/v2.9/streams/{}/events", s.body["streamId"].as_str().expect("id"))
            }
        };
        let payments_stream = new_stream(
            json!({"title": "payments", "eventType": "TIMELINE", "groups": [], "filterValues": ["PAYMENT"]}),
        )
        .await;
        let paid_stream =
            new_stream(json!({"title": "paid", "eventType": "STATUS", "groups": [], "filterValues": ["PAID"]})).await;

        let doc = upload(&app, &demo, &pdf("Pay 15 euro.")).await;
        let tax_id = demo["recipient_with_domicile"]["taxId"].as_str().expect("tax id").to_string();
        let notice = "302000100000019421";
        let recipient = json!({"recipientType": "PF", "taxId": tax_id, "denomination": "Mario Rossi",
            "payments": [{"pagoPa": {"noticeCode": notice, "creditorTaxId": creditor, "applyCost": false}}]});
        let iun = submit(&app, &demo, &request(&demo, "2025/PAY-1", recipient, doc)).await["iun"]
            .as_str()
            .expect("iun")
            .to_string();
        wait_status(&app, &demo, &iun, "DELIVERED").await;

        let paid_at = Timestamp::now().to_fixed();
        let event = json!({"noticeCode": notice, "creditorTaxId": creditor, "paymentDate": paid_at, "amount": 1500});
        let path = "/delivery/events/payment/pagopa";
        // An unknown notice is refused as SEND does, naming the field; so is a bad field.
        let mut unknown = event.clone();
        unknown["noticeCode"] = json!("302000100000019999");
        let refused = pay(&app, key, path, json!([event.clone(), unknown])).await;
        assert_eq!(refused.status, 404, "{}", refused.body);
        assert_eq!(refused.headers["content-type"], "application/problem+json");
        assert_eq!(refused.body["errors"][0]["code"], "PN_DELIVERY_NOTIFICATIONNOTFOUND");
        assert_eq!(refused.body["errors"][0]["element"], "body.events[1].noticeCode");
        let mut bad = event.clone();
        bad["creditorTaxId"] = json!("123");
        let invalid = pay(&app, key, path, json!([bad])).await;
        assert_eq!(invalid.status, 400);
        assert_eq!(invalid.body["errors"][0]["element"], "body.events[0].creditorTaxId");
        let mut someone_else = event.clone();
        someone_else["recipientTaxId"] = json!("VRDLGU75C41F205X");
        let other = pay(&app, key, path, json!([someone_else])).await;
        assert_eq!(other.body["errors"][0]["element"], "body.events[0].recipientTaxId", "{}", other.body);
        // Another organisation's key does not find the sender's notice.
        let platform_org = app.kernel.organisation_by_slug("demoland-digital").await.expect("read").expect("org");
        let platform = publica_kernel::demo::api_key(&app.kernel, platform_org.id, "notify", "other", "test:other")
            .await
            .expect("key");
        let platform = platform.as_str();
        assert_eq!(pay(&app, platform, path, json!([event.clone()])).await.status, 404);
        let untouched = wait_status(&app, &demo, &iun, "DELIVERED").await;
        assert!(elements(&untouched, "PAYMENT").is_empty(), "nothing recorded from refused requests");

        // The payment: recorded, PAID; reported again, nothing more.
        let mut with_recipient = event.clone();
        with_recipient["recipientTaxId"] = json!(tax_id);
        with_recipient["recipientType"] = json!("PF");
        let ok = pay(&app, key, path, json!([with_recipient])).await;
        assert_eq!(ok.status, 204, "{}", ok.body);
        assert_eq!(pay(&app, key, path, json!([event.clone()])).await.status, 204);
        let detail = wait_status(&app, &demo, &iun, "PAID").await;
        let paid = elements(&detail, "PAYMENT");
        assert_eq!(paid.len(), 1, "recorded once: {paid:?}");
        let element_id = format!("NOTIFICATION_PAID.IUN_{iun}.CODE_PPA{notice}{creditor}");
        assert_eq!(paid[0]["elementId"], element_id.as_str());
        let details = &paid[0]["details"];
        assert_eq!(
            (&details["recIndex"], &details["recipientType"], &details["amount"], &details["paymentSourceChannel"]),
            (&json!(0), &json!("PF"), &json!(1500), &json!("PA"))
        );
        assert_eq!((&details["noticeCode"], &details["creditorTaxId"]), (&json!(notice), &json!(creditor)));
        assert_eq!(details["uncertainPaymentDate"], false);
        assert_eq!(ts(&paid[0]["eventTimestamp"]), Timestamp::parse(&paid_at).expect("time"));
        let last = detail["notificationStatusHistory"].as_array().expect("history").last().expect("a status").clone();
        assert_eq!(last["status"], "PAID");
        assert_eq!(last["relatedTimelineElements"], json!([element_id]));

        // The recipient sees it paid (and reading it, a view, does not undo PAID).
        let list = call(
            &app,
            "GET",
            "/delivery/notifications/received?startDate=2000-01-01T00:00:00Z&endDate=2100-01-01T00:00:00Z",
            &person(&app, &tax_id).headers(),
            None,
        )
        .await;
        assert_eq!(list.body["resultsPage"][0]["notificationStatus"], "PAID", "{}", list.body);
        let seen = call(
            &app,
            "GET",
            &format!("/delivery/notifications/received/{iun}"),
            &person(&app, &tax_id).headers(),
            None,
        )
        .await;
        assert_eq!(seen.body["notificationStatus"], "PAID");
        assert_eq!(elements(&seen.body, "PAYMENT").len(), 1);
        let viewed = wait(&app, &format!("/delivery/v2.8/notifications/sent/{iun}"), &sender(&demo), |b| {
            !elements(b, "NOTIFICATION_VIEWED").is_empty()
        })
        .await;
        assert_eq!(viewed["notificationStatus"], "PAID", "PAID is final");

        // The sender's streams: the element once, and the status change once.
        let events = call(&app, "GET", &payments_stream, &sender(&demo), None).await;
        let events = events.body.as_array().expect("events").clone();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["element"]["elementId"], element_id.as_str());
        assert_eq!(events[0]["newStatus"], "PAID");
        let changes = call(&app, "GET", &paid_stream, &sender(&demo), None).await;
        let changes: Vec<&str> =
            changes.body.as_array().expect("events").iter().map(|e| e["newStatus"].as_str().unwrap_or("")).collect();
        assert_eq!(changes, vec!["PAID"]);

        // Audited once, in the same transaction as the element.
        let audit = publica_kernel::audit::list(app.kernel.db(), None, None, 1000).await.expect("audit");
        let recorded: Vec<_> =
            audit.iter().filter(|e| e.action == "notify.send.payment.recorded" && e.object_id == iun).collect();
        assert_eq!(recorded.len(), 1);
        assert!(recorded[0].details.contains(&element_id));

        // The F24 variant finds the recipient by tax id; the same event twice records once.
        let f24 =
            json!({"iun": iun, "recipientType": "PF", "recipientTaxId": tax_id, "paymentDate": paid_at, "amount": 700});
        for _ in 0..2 {
            let answer = pay(&app, key, "/delivery/events/payment/f24", json!([f24.clone()])).await;
            assert_eq!(answer.status, 204, "{}", answer.body);
        }
        let mut stranger = f24.clone();
        stranger["recipientTaxId"] = json!("VRDLGU75C41F205X");
        let missing = pay(&app, key, "/delivery/events/payment/f24", json!([stranger])).await;
        assert_eq!(
            (missing.status, &missing.body["errors"][0]["element"]),
            (404, &json!("body.events[0].recipientTaxId"))
        );
        let after = call(&app, "GET", &format!("/delivery/v2.8/notifications/sent/{iun}"), &sender(&demo), None).await;
        let paid = elements(&after.body, "PAYMENT");
        assert_eq!(paid.len(), 2);
        assert!(
            paid[1]["elementId"].as_str().expect("id").starts_with(&format!("NOTIFICATION_PAID.IUN_{iun}.CODE_F24"))
        );
        assert_eq!(paid[1]["details"]["amount"], 700);
        assert!(publica_kernel::audit::verify(app.kernel.db(), app.kernel.keys()).await.expect("verify").is_ok());

        // Once cancelled, a notice can no longer be paid.
        call(&app, "PUT", &format!("/delivery-push/v2.0/notifications/cancel/{iun}"), &sender(&demo), None).await;
        wait_status(&app, &demo, &iun, "CANCELLED").await;
        let mut later = event.clone();
        later["amount"] = json!(1);
        assert_eq!(pay(&app, key, path, json!([later])).await.status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_send_api_is_described_and_rendered_on_the_reference_page() {
    let doc = serde_json::to_value(NotifyBlock.openapi()).expect("json");
    for (path, method) in [
        ("/delivery/v2.6/requests", "post"),
        ("/delivery/v2.8/notifications/sent/{iun}", "get"),
        ("/delivery/events/payment/pagopa", "post"),
        ("/delivery-progresses/v2.9/streams/{id}/events", "get"),
        ("/delivery/v2.8/notifications/received/{iun}", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["tags"], json!([send::api::openapi::TAG]), "{path}: {op}");
    }
    let pay = &doc["paths"]["/delivery/events/payment/pagopa"]["post"];
    assert_eq!(pay["security"], json!([{"send_api_key": []}]));
    assert!(pay["responses"]["404"]["content"]["application/problem+json"].is_object(), "{pay}");
    assert_eq!(doc["components"]["securitySchemes"]["send_api_key"]["name"], "x-api-key");
    let schemas = &doc["components"]["schemas"];
    for name in ["NewNotificationRequest", "FullSentNotification", "TimelineElement", "Problem", "StreamMetadata"] {
        assert!(schemas[name].is_object(), "{name} is described");
    }
    assert_eq!(schemas["NewNotificationRequest"]["properties"]["abstract"]["type"], json!(["string", "null"]));
    assert!(schemas["NotificationStatus"]["enum"].as_array().expect("enum").contains(&json!("PAID")));
    let operations: Vec<&Value> = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("item").values())
        .collect();
    let send_ids: Vec<&str> = operations
        .iter()
        .filter(|op| op["tags"] == json!([send::api::openapi::TAG]))
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert_eq!(send_ids.len(), 27, "every SEND operation, with an id");
    for id in &send_ids {
        let uses = operations.iter().filter(|op| op["operationId"] == *id).count();
        assert_eq!(uses, 1, "operation id {id} is unique");
    }
    // Notify's own description is still there.
    assert!(doc["paths"]["/v2/notifications/email"]["post"].is_object());

    let app = TestApp::each_with(&[Arc::new(NotifyBlock)], |_| {}).await.remove(0);
    let page = app.get("/docs/api").await;
    assert_eq!(page.status(), 200);
    let html = String::from_utf8(axum::body::to_bytes(page.into_body(), usize::MAX).await.expect("body").to_vec())
        .expect("utf-8");
    assert!(html.contains("/delivery/events/payment/pagopa") && html.contains("/delivery/v2.6/requests"), "rendered");
}

#[tokio::test]
async fn the_recipient_manages_their_addresses_signed_in_and_only_from_this_site() {
    let sink = SmtpSink::start().await.expect("sink");
    for (app, _demo) in apps(&sink, 50).await {
        let me = person(&app, "19850612344");
        let base = "/address-book/v1/digital-address";
        let empty = call(&app, "GET", base, &me.headers(), None).await;
        assert_eq!(empty.status, 200, "{}", empty.body);
        assert_eq!(empty.body, json!({"legal": [], "courtesy": []}));
        let with = |origin: &'static str| {
            let mut headers = me.headers();
            headers.extend([("content-type", "application/json"), ("host", "publica.example"), ("origin", origin)]);
            headers
        };
        let value = json_body(&json!({"value": "camille@pec.demoland.example"}));
        let set =
            call(&app, "PUT", &format!("{base}/legal/PEC"), &with("https://publica.example"), value.clone()).await;
        assert_eq!(set.status, 204, "{}", set.body);

        // Not from another site, not without signing in, not with an API key.
        let email = json_body(&json!({"value": "camille@mail.example"}));
        let elsewhere =
            call(&app, "PUT", &format!("{base}/courtesy/EMAIL"), &with("https://evil.example"), email).await;
        assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
        let headers = [("content-type", "application/json")];
        let anonymous = call(&app, "PUT", &format!("{base}/courtesy/EMAIL"), &headers, value.clone()).await;
        assert_eq!(anonymous.status, 401, "{}", anonymous.body);
        assert_eq!(anonymous.body["signInUrl"], "/test/sign-in?return_to=%2F&aal=aal2");
        let unverified = session(&app, None, Aal::Aal2);
        assert_eq!(call(&app, "GET", base, &unverified.headers(), None).await.status, 403);

        let book = call(&app, "GET", base, &me.headers(), None).await;
        assert_eq!(book.body["legal"][0]["value"], "camille@pec.demoland.example", "{}", book.body);
        assert_eq!(book.body["courtesy"], json!([]), "nothing from the refused calls");
        let someone_else = call(&app, "GET", base, &person(&app, "19700101007").headers(), None).await;
        assert_eq!(someone_else.body["legal"], json!([]), "each person sees their own");
        let actors: Vec<String> = publica_kernel::on_db!(app.kernel.db(), pool => sqlx::query_scalar(
            "SELECT actor FROM kernel_audit WHERE action = 'notify.send.address.registered' AND object_id = $1")
            .bind("19850612344").fetch_all(pool).await.expect("audit"));
        assert_eq!(actors, vec!["person:19850612344".to_string()]);

        let path = format!("{base}/legal/PEC");
        assert_eq!(call(&app, "DELETE", &path, &with("https://publica.example"), None).await.status, 204);
        assert_eq!(call(&app, "DELETE", &path, &me.headers(), None).await.status, 404, "gone already");
        assert_eq!(call(&app, "GET", base, &me.headers(), None).await.body["legal"], json!([]));
    }
}

#[tokio::test]
async fn without_an_identity_provider_recipients_are_told_and_senders_still_work() {
    for app in TestApp::each(&[Arc::new(NotifyBlock)]).await {
        let demo = seed(&app.kernel).await;
        let list = "/delivery/notifications/received?startDate=2000-01-01T00:00:00Z&endDate=2100-01-01T00:00:00Z";
        let unavailable = call(&app, "GET", list, &[], None).await;
        assert_eq!(unavailable.status, 503, "{}", unavailable.body);
        assert!(unavailable.body["detail"].as_str().is_some_and(|d| d.contains("identity provider")));
        let facts = call(&app, "GET", "/delivery-push/DPDA-LVZM-JREL-202501-N-1/legal-facts", &[], None).await;
        assert_eq!(facts.status, 403, "senders are asked for their key: {}", facts.body);
        let facts =
            call(&app, "GET", "/delivery-push/DPDA-LVZM-JREL-202501-N-1/legal-facts", &sender(&demo), None).await;
        assert_eq!(facts.status, 404, "a sender's call goes through: {}", facts.body);
    }
}
