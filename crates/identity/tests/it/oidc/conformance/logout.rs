//! The RP-initiated logout plan (`oidcc-rp-initiated-logout-certification-test-plan`): after
//! a normal authorization, the browser goes to the `end_session_endpoint` with the parameters
//! each module chooses. A request the provider can check (a valid `id_token_hint`, a
//! registered `post_logout_redirect_uri`) ends the session and returns with `state`; one it
//! cannot is an error page or a confirmation, never a redirect; with no redirect asked, the
//! person ends on the signed-out page. After a logout, `prompt=none` must fail.

use publica_kernel::crypto::b64url;

use super::{
    Auth, Browser, POST_LOGOUT, Rp, Tokens, World, discovery, each, error_callback, long_state, query_of, rp,
    session_of, sign_in,
};

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `/identity/logout?…` with these parameters.
pub fn end_session(pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    if query.is_empty() { "/identity/logout".into() } else { format!("/identity/logout?{query}") }
}

/// A person signed in to the suite's client in a browser, with the tokens of that sign-in.
pub async fn signed_in<'a>(w: &'a World, rp: &Rp) -> (Browser<'a>, Tokens) {
    let ana = super::citizen(w, "ana@example.org", None).await;
    let mut browser = Browser::new(&w.app).await;
    let tokens = sign_in(w, &mut browser, rp, &ana, &rp.authorize(&[])).await;
    assert!(session_of(w, &browser).await.is_some());
    (browser, tokens)
}

/// The session ended: the provider no longer sees it, and `prompt=none` (with a long state)
/// answers an error that needs the person.
pub async fn logged_out(w: &World, browser: &mut Browser<'_>, rp: &Rp) {
    assert!(session_of(w, browser).await.is_none(), "the session ended");
    let state = long_state();
    let page = browser.get(&rp.authorize(&[("prompt", "none"), ("state", &state)])).await;
    let errors = ["login_required", "interaction_required", "consent_required", "account_selection_required"];
    error_callback(w, page.location(), rp, &state, &errors);
}

/// The session lives on: the provider still sees it.
async fn still_signed_in(w: &World, browser: &Browser<'_>) {
    assert!(session_of(w, browser).await.is_some(), "the session lives on");
}

/// A refusal: an error page, and no redirect anywhere.
fn refused(page: &publica_kernel::testing::Page) {
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.location().is_empty(), "no redirect: {}", page.location());
}

/// The hidden fields of the confirmation form.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].replace("&amp;", "&").replace("&quot;", "\""))
    };
    body.split("<input")
        .skip(1)
        .filter_map(|rest| rest.split('>').next())
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .filter(|(name, _)| name != "_csrf")
        .collect()
}

/// The person is asked to confirm, confirms, and ends on the signed-out page (no redirect).
async fn confirm_and_sign_out(w: &World, browser: &mut Browser<'_>, start: &str) {
    let page = browser.get(start).await;
    assert_eq!(page.status, 200, "a confirmation: {}", page.body);
    assert!(page.body.contains("action=\"/identity/logout/confirm\""));
    still_signed_in(w, browser).await;
    let fields = hidden_fields(&page.body);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let done = browser.post("/identity/logout/confirm", &fields).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.location().is_empty(), "no redirect was asked for");
    assert!(done.body.contains("You are signed out"), "{}", done.body);
}

/// oidcc-rp-initiated-logout-discovery-endpoint-verification: discovery names an https
/// `end_session_endpoint`, and every endpoint is https.
#[tokio::test]
async fn oidcc_rp_initiated_logout_discovery_endpoint_verification() {
    each(|w| async move {
        let (_, _, d) = discovery(&w).await;
        let end_session = d["end_session_endpoint"].as_str().expect("end_session_endpoint");
        assert_eq!(end_session, format!("{}/logout", w.issuer()));
        for (name, value) in d.as_object().expect("object").iter().filter(|(k, _)| k.ends_with("_endpoint")) {
            assert!(value.as_str().is_some_and(|v| v.starts_with("https://")), "{name}");
        }
    })
    .await;
}

/// oidcc-rp-initiated-logout: with `id_token_hint`, a registered `post_logout_redirect_uri`
/// and a state, the session ends and the browser goes to that URI with the state and nothing
/// else; then `prompt=none` fails.
#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let state = long_state();
        let page = browser
            .get(&end_session(&[
                ("id_token_hint", &tokens.id_token),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", &state),
            ]))
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), format!("{POST_LOGOUT}?state={}", enc(&state)));
        let q = query_of(page.location());
        assert_eq!(q.keys().collect::<Vec<_>>(), vec!["state"], "nothing else");
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: a `post_logout_redirect_uri` the
/// client did not register is refused on an error page; the browser is not sent anywhere.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let page = browser
            .get(&end_session(&[
                ("id_token_hint", &tokens.id_token),
                ("post_logout_redirect_uri", "https://rp.example/not-registered"),
                ("state", "s1"),
            ]))
            .await;
        refused(&page);
        assert!(page.body.contains("has not registered"), "{}", page.body);
        still_signed_in(&w, &browser).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-modified-id-token-hint: an `id_token_hint` changed to `alg`
/// `none` is refused on an error page; no redirect.
#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let payload = tokens.id_token.split('.').nth(1).expect("payload");
        let modified = format!("{}.{payload}.", b64url(br#"{"alg":"none","typ":"JWT"}"#));
        let page = browser
            .get(&end_session(&[
                ("id_token_hint", &modified),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", "s1"),
            ]))
            .await;
        refused(&page);
        still_signed_in(&w, &browser).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-no-id-token-hint: a `post_logout_redirect_uri` without an
/// `id_token_hint` (nor `client_id`) cannot be checked against a client: refused on an error
/// page, no redirect.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, _) = signed_in(&w, &rp).await;
        let page = browser.get(&end_session(&[("post_logout_redirect_uri", POST_LOGOUT), ("state", "s1")])).await;
        refused(&page);
        still_signed_in(&w, &browser).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-no-params: with no parameters the person confirms, is signed out
/// and sees the signed-out page; then `prompt=none` fails.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, _) = signed_in(&w, &rp).await;
        confirm_and_sign_out(&w, &mut browser, &end_session(&[])).await;
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-no-post-logout-redirect-uri: an `id_token_hint` and a state but
/// no `post_logout_redirect_uri`: signed out at once onto the signed-out page, no redirect.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let page = browser.get(&end_session(&[("id_token_hint", &tokens.id_token), ("state", "s1")])).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.location().is_empty());
        assert!(page.body.contains("You are signed out"));
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-no-state: without a state the browser goes to the
/// `post_logout_redirect_uri` exactly as registered (no `state`); then `prompt=none` fails.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, tokens) = signed_in(&w, &rp).await;
        let page = browser
            .get(&end_session(&[("id_token_hint", &tokens.id_token), ("post_logout_redirect_uri", POST_LOGOUT)]))
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location(), POST_LOGOUT);
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}

/// oidcc-rp-initiated-logout-only-state: only a state: the person confirms, is signed out and
/// sees the signed-out page (there is nowhere to send the state).
#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    each(|w| async move {
        let rp = rp(&w, Auth::Basic).await;
        let (mut browser, _) = signed_in(&w, &rp).await;
        confirm_and_sign_out(&w, &mut browser, &end_session(&[("state", "s1")])).await;
        logged_out(&w, &mut browser, &rp).await;
    })
    .await;
}
