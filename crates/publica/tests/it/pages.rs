//! Pages: CSRF on every form, language switching, and signing in with a login link.

use crate::support::{Server, backends, client, csrf_token, publica, set_cookie};

#[tokio::test]
async fn forms_need_the_csrf_token_and_the_language_switch_works() {
    let backend = backends().await.remove(0);
    let server = Server::start(&backend, &[], &[]);
    let http = client();
    let home = http.get(server.url("/")).send().await.expect("home");
    let cookie = set_cookie(&home, "publica_csrf").expect("a CSRF cookie");
    let html = home.text().await.expect("html");
    assert!(html.contains("<html lang=\"en\">"));
    let token = csrf_token(&html);

    let form = [("lang", "fr"), ("next", "/docs/api")];
    let no_token = post_form(&http, &server.url("/language"), &format!("publica_csrf={cookie}"), &form).await;
    assert_eq!(no_token.status(), 403, "no token");
    let with_token = [("lang", "fr"), ("next", "/docs/api"), ("_csrf", token.as_str())];
    let no_cookie = http.post(server.url("/language")).form(&with_token).send().await.expect("post");
    assert_eq!(no_cookie.status(), 403, "token without its cookie");
    let other_cookie =
        post_form(&http, &server.url("/language"), &format!("publica_csrf={}", "x".repeat(43)), &with_token).await;
    assert_eq!(other_cookie.status(), 403, "token for another cookie");
    let forged = [("lang", "fr"), ("next", "/"), ("_csrf", "forged")];
    let forged = post_form(&http, &server.url("/language"), &format!("publica_csrf={cookie}"), &forged).await;
    assert_eq!(forged.status(), 403);

    let ok = post_form(&http, &server.url("/language"), &format!("publica_csrf={cookie}"), &with_token).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/docs/api");
    assert_eq!(set_cookie(&ok, "publica_lang").as_deref(), Some("fr"));
    let french = http
        .get(server.url("/"))
        .header("cookie", format!("publica_csrf={cookie}; publica_lang=fr"))
        .send()
        .await
        .expect("home");
    let html = french.text().await.expect("html");
    assert!(html.contains("<html lang=\"fr\">") && html.contains("Accueil"), "{html}");

    // Uploads carry the token in the query string instead of the body.
    let in_query = post_form(
        &http,
        &server.url(&format!("/language?_csrf={token}")),
        &format!("publica_csrf={cookie}"),
        &[("lang", "fr"), ("next", "/")],
    )
    .await;
    assert_eq!(in_query.status(), 303, "token in the query string");

    // Without a cookie, the browser's preference decides.
    let html = http
        .get(server.url("/"))
        .header("accept-language", "fr-CA,fr;q=0.9,en;q=0.5")
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<html lang=\"fr\">"));
    // An open redirect is refused: the switch only returns to this site.
    let evil = [("lang", "en"), ("next", "//evil.example/"), ("_csrf", token.as_str())];
    let r = post_form(&http, &server.url("/language"), &format!("publica_csrf={cookie}"), &evil).await;
    assert_eq!(r.headers()["location"], "/");
    server.stop();
}

#[tokio::test]
async fn a_login_link_signs_in_once_and_roles_are_checked() {
    for backend in backends().await {
        let server = Server::start(&backend, &["--demo"], &[]);
        let http = client();
        let out = publica(&backend, &["admin", "login-link", "--email", "clerk@interior.demoland.example"], &[]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let link = String::from_utf8(out.stdout).expect("utf-8");
        let path = link.trim().split_once("/signin/").map(|(_, p)| format!("/signin/{p}")).expect("a sign-in link");

        let page = http.get(server.url(&path)).send().await.expect("link");
        let csrf = set_cookie(&page, "publica_csrf").expect("csrf cookie");
        let token = csrf_token(&page.text().await.expect("html"));
        let cookie = format!("publica_csrf={csrf}");
        let signed_in = post_form(&http, &server.url(&path), &cookie, &[("_csrf", token.as_str())]).await;
        assert_eq!(signed_in.status(), 303);
        assert_eq!(signed_in.headers()["location"], "/admin");
        let session = set_cookie(&signed_in, "publica_session").expect("session cookie");
        let cookies = format!("{cookie}; publica_session={session}");

        let admin = http.get(server.url("/admin")).header("cookie", &cookies).send().await.expect("admin");
        assert_eq!(admin.status(), 200);
        assert!(admin.text().await.expect("html").contains("Ministry of the Interior"));
        // The clerk is a plain member: API keys need the admin role.
        let keys = http.get(server.url("/admin/api-keys")).header("cookie", &cookies).send().await.expect("keys");
        assert_eq!(keys.status(), 403);
        // Signed out, the back office sends people to sign in.
        let anonymous = http.get(server.url("/admin")).header("cookie", &cookie).send().await.expect("admin");
        assert_eq!(anonymous.status(), 303);

        let again = post_form(&http, &server.url(&path), &cookie, &[("_csrf", token.as_str())]).await;
        assert_eq!(again.status(), 401, "a link works once");

        let unknown = publica(&backend, &["admin", "login-link", "--email", "nobody@nowhere.example"], &[]);
        assert!(!unknown.status.success());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active member"));

        let verify = publica(&backend, &["audit", "verify"], &[]);
        assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
        server.stop();
    }
}

/// A form POST with the given cookies.
async fn post_form<T: serde::Serialize + ?Sized>(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    form: &T,
) -> reqwest::Response {
    http.post(url).header("cookie", cookie).form(form).send().await.expect("post")
}
