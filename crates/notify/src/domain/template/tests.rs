//! End-to-end checks of `render`: the values Notify's API returns for the same requests.

use serde_json::json;

use super::*;

fn p(v: serde_json::Value) -> Personalisation {
    v.as_object().cloned().unwrap_or_default()
}

fn email<'a>(subject: &'a str, content: &'a str) -> Template<'a> {
    Template { kind: TemplateType::Email, subject: Some(subject), content }
}

fn sms(content: &str) -> Template<'_> {
    Template { kind: TemplateType::Sms, subject: None, content }
}

#[test]
fn template_type_serialises_lowercase() {
    assert_eq!(serde_json::to_string(&TemplateType::Sms).ok().as_deref(), Some("\"sms\""));
    assert_eq!(serde_json::from_str::<TemplateType>("\"letter\"").ok(), Some(TemplateType::Letter));
}

#[test]
fn missing_personalisation_lists_subject_then_content() {
    let t = email("Hello ((name)) ((ref))", "Dear ((Name)), ((date)) ((show??yes)) ((date))");
    let err = render(&t, &p(json!({"REF": "1", "extra": "ignored"})), &RenderOptions::default());
    assert_eq!(
        err,
        Err(RenderError::MissingPersonalisation(vec!["name".into(), "Name".into(), "date".into(), "show".into()]))
    );
    assert_eq!(
        err.map(|_| ()).map_err(|e| e.to_string()),
        Err("Missing personalisation: name, Name, date, show".to_string())
    );
    // null is missing; an empty string is not.
    let err = render(&sms("((a)) ((b))"), &p(json!({"a": null, "b": ""})), &RenderOptions::default());
    assert_eq!(err, Err(RenderError::MissingPersonalisation(vec!["a".into()])));
}

#[test]
fn email_api_values() {
    let t = email(
        "Your  'order'\n((ref))",
        "Hi ((first_name)),\n\nYou ordered:\n((items))\n\nVisit GOV.UK - or https://example.com.",
    );
    let pers = p(json!({"First Name": "Ada", "ref": "A\nB", "items": ["tea", "cake"]}));
    let r = render(&t, &pers, &RenderOptions { brand_name: Some("Council"), ..Default::default() }).expect("renders");
    assert_eq!(r.subject.as_deref(), Some("Your \u{2018}order\u{2019} A B"));
    assert_eq!(r.body, "Hi Ada,\n\nYou ordered:\n\n\n* tea\n* cake\n\nVisit GOV.UK - or https://example.com.");
    assert_eq!(
        r.text,
        "Hi Ada,\n\nYou ordered:\n\n\u{2022} tea\n\u{2022} cake\n\nVisit GOV.\u{200b}UK \u{2013} or https://example.com.\n"
    );
    let html = r.html.expect("html");
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(">Council</span>"));
    assert!(html.contains("<title>Your \u{2018}order\u{2019} A B</title>"));
    assert!(html.contains("Hi Ada,</p>"));
    assert!(html.contains("<li style=\"Margin: 5px 0 5px; padding: 0 0 0 5px; font-size: 19px;line-height: 25px; color: #0B0C0C;\">tea</li>"));
    assert!(html.contains(
        "<a style=\"word-wrap: break-word; color: #1D70B8;\" href=\"https://example.com\">https://example.com</a>."
    ));
    assert!(html.contains(">Hi Ada, You ordered: \u{2022} tea \u{2022} cake Visit GOV.\u{200b}UK \u{2013} or https://example.com.\u{2026}</span>"), "{html}");
    assert_eq!(r.sms, None);
}

#[test]
fn email_personalisation_is_escaped_in_html_only() {
    let t = email("Re: ((x))", "Hello ((x))");
    let r =
        render(&t, &p(json!({"x": "<script>alert('x')</script> & co"})), &RenderOptions::default()).expect("renders");
    let html = r.html.expect("html");
    assert!(!html.contains("<script>"));
    assert!(html.contains("Hello &lt;script&gt;alert(\u{2018}x\u{2019})&lt;/script&gt; &amp; co</p>"));
    assert_eq!(r.body, "Hello <script>alert('x')</script> & co");
    assert_eq!(r.text, "Hello <script>alert(\u{2018}x\u{2019})</script> & co\n");
    // As in Notify, quotes inside what looks like a <script> element are left alone.
    assert_eq!(r.subject.as_deref(), Some("Re: <script>alert('x')</script> & co"));
}

#[test]
fn email_unsubscribe_link_is_appended_to_parts_not_body() {
    let opts = RenderOptions { unsubscribe_link: Some("https://example.com/unsub"), ..Default::default() };
    let r = render(&email("S", "Hi"), &p(json!({})), &opts).expect("renders");
    assert_eq!(r.body, "Hi");
    assert!(r.text.ends_with("\n\nUnsubscribe from these emails: https://example.com/unsub\n"));
    assert!(r.html.expect("html").contains("href=\"https://example.com/unsub\">Unsubscribe from these emails</a>"));
}

#[test]
fn email_limits() {
    assert_eq!(render(&email("S", ""), &p(json!({})), &RenderOptions::default()), Err(RenderError::Empty));
    assert_eq!(
        render(&email("S", "((x))"), &p(json!({"x": "  "})), &RenderOptions::default()),
        Err(RenderError::Empty)
    );
    let big = "a".repeat(EMAIL_MAX_BYTES + 1);
    let err = render(&email("S", "((x))"), &p(json!({ "x": big })), &RenderOptions::default()).map(|_| ());
    assert_eq!(
        err.map_err(|e| e.to_string()),
        Err("Your message is too long. Emails cannot be longer than 2000000 bytes. Your message is 2000001 bytes."
            .into())
    );
}

#[test]
fn sms_api_values() {
    let opts = RenderOptions { sms_prefix: Some("Council"), ..Default::default() };
    let r = render(&sms("Hi ((name)), it’s ready – reply “yes”"), &p(json!({"name": "Zoē"})), &opts).expect("renders");
    assert_eq!(r.body, "Council: Hi Zoe, it's ready - reply \"yes\"");
    assert_eq!(r.text, r.body);
    assert_eq!(r.subject, None);
    assert_eq!(r.html, None);
    assert_eq!(r.sms, Some(SmsInfo { encoding: SmsEncoding::Gsm7, characters: 41, fragments: 1 }));
    // A Welsh letter outside GSM is kept and the message goes as UCS-2.
    let r =
        render(&sms("Diolch, ((name))"), &p(json!({"name": "Siân Ŵyn"})), &RenderOptions::default()).expect("renders");
    assert_eq!(r.body, "Diolch, Siân Ŵyn");
    assert_eq!(r.sms.map(|s| s.encoding), Some(SmsEncoding::Ucs2));
}

#[test]
fn sms_length_limit_excludes_the_prefix() {
    let opts = RenderOptions { sms_prefix: Some("Council"), ..Default::default() };
    let ok = render(&sms("((x))"), &p(json!({"x": "a".repeat(918)})), &opts).expect("918 characters are allowed");
    assert_eq!(ok.sms.map(|s| s.fragments), Some(7));
    let err = render(&sms("((x))"), &p(json!({"x": "a".repeat(919)})), &opts);
    assert_eq!(err, Err(RenderError::SmsTooLong { limit: 918, length: 919 }));
    assert_eq!(
        err.map(|_| ()).map_err(|e| e.to_string()),
        Err("Your message is too long. Text messages cannot be longer than 918 characters. Your message is 919 characters long.".into())
    );
    assert_eq!(render(&sms("((x))"), &p(json!({"x": " \n "})), &opts), Err(RenderError::Empty));
}

#[test]
fn letter_api_values() {
    let t =
        Template { kind: TemplateType::Letter, subject: Some("Tom & Jerry's ((n))"), content: "# Hi\n\n((n)) - ok" };
    let opts = RenderOptions { letter_contact_block: Some("((office))"), ..Default::default() };
    let err = render(&t, &p(json!({"n": "x"})), &opts);
    assert_eq!(err, Err(RenderError::MissingPersonalisation(vec!["office".into()])));
    let r = render(&t, &p(json!({"n": "<b>", "office": "HQ"})), &opts).expect("renders");
    assert_eq!(r.subject.as_deref(), Some("Tom &amp; Jerry\u{2019}s &lt;b&gt;"));
    assert_eq!(r.body, "# Hi\n\n<b> - ok");
    assert_eq!(r.text, format!("Hi\n{}\n\n<b> \u{2013} ok\n", "=".repeat(65)));
    assert_eq!(r.html, None);
}

#[test]
fn bilingual_email() {
    let t = email("Bonjour / Hello", "[[en]]\nHello ((name))\n[[/en]]\n\n[[fr]]\nBonjour ((name))\n[[/fr]]");
    let r = render(&t, &p(json!({"name": "Zoé"})), &RenderOptions::default()).expect("renders");
    let html = r.html.expect("html");
    assert!(html.contains("<div lang=\"en-ca\"><p style=\"Margin: 0 0 20px 0; font-size: 19px; line-height: 25px; color: #0B0C0C;\">Hello Zoé</p></div>"));
    assert!(html.contains("<div lang=\"fr-ca\"><p style=\"Margin: 0 0 20px 0; font-size: 19px; line-height: 25px; color: #0B0C0C;\">Bonjour Zoé</p></div>"));
    assert_eq!(r.text, "Hello Zoé\n\nBonjour Zoé\n");
    assert!(r.body.starts_with("[[en]]"));
}

#[test]
fn placeholders_of_templates() {
    let t = Template { kind: TemplateType::Letter, subject: Some("((b)) ((a))"), content: "((c)) ((a))" };
    let opts = RenderOptions { letter_contact_block: Some("((d))"), ..Default::default() };
    assert_eq!(template_placeholders(&t, &opts), vec!["d", "b", "a", "c"]);
}

#[test]
fn body_only_checks_and_fills_in_as_the_full_render_does() {
    let t = email("Your ((ref))", "Hi ((name)),\n\n# Next\n\n* one\n* two");
    let pers = p(json!({"name": "Ada", "ref": "R1"}));
    let full = render(&t, &pers, &RenderOptions::default()).expect("renders");
    let quick = render(&t, &pers, &RenderOptions { body_only: true, ..Default::default() }).expect("renders");
    assert_eq!((quick.subject.as_deref(), quick.body.as_str()), (full.subject.as_deref(), full.body.as_str()));
    assert!(quick.html.is_none() && quick.text.is_empty());
    let missing = render(&t, &p(json!({"name": "Ada"})), &RenderOptions { body_only: true, ..Default::default() });
    assert_eq!(missing.expect_err("missing").to_string(), "Missing personalisation: ref");
}
