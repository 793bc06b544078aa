//! A browser for page tests: it keeps the CSRF cookie and token, a staff session once signed
//! in and a language, and posts forms as the pages' own forms would.

use axum::body::Body;
use axum::http::{HeaderMap, Request};

use super::TestApp;

/// An answer, its body read as text (and kept as bytes for downloads).
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Page {
    /// The `Location` header, empty when there is none.
    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// A header as text, empty when there is none.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

/// HTML with the entities the templates write turned back into characters.
pub fn unescape(html: &str) -> String {
    html.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The value of the first `_csrf` field of the forms in `html`.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

/// A browser on a [`TestApp`]: the CSRF cookie and token, a session once signed in, a language.
pub struct Browser<'a> {
    app: &'a TestApp,
    cookies: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    /// Nobody signed in: the CSRF cookie and token from the home page.
    pub async fn anonymous(app: &'a TestApp) -> Browser<'a> {
        let response = app.get("/").await;
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.split(';').next().filter(|pair| pair.starts_with("publica_csrf=")).map(str::to_string))
            .expect("a CSRF cookie");
        let mut browser = Browser { app, cookies: cookie, csrf: String::new() };
        let home = browser.get("/").await;
        browser.csrf = csrf_token(&home.body);
        browser
    }

    /// Signed in as the staff member with this email (see [`TestApp::staff_session`]).
    pub async fn signed_in(app: &'a TestApp, email: &str) -> Browser<'a> {
        let session = app.staff_session(email).await;
        let mut browser = Browser::anonymous(app).await;
        browser.cookies.push_str(&format!("; publica_session={session}"));
        browser
    }

    /// The same browser with French chosen as the language.
    pub fn in_french(mut self) -> Self {
        self.cookies.push_str("; publica_lang=fr");
        self
    }

    /// Send a request as it is and read the answer.
    pub async fn send(&self, request: Request<Body>) -> Page {
        let response = self.app.request(request).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
    }

    /// Get a page with the browser's cookies, asking for HTML.
    pub async fn get(&self, path: &str) -> Page {
        let request = Request::get(path).header("cookie", &self.cookies).header("accept", "text/html");
        self.send(request.body(Body::empty()).expect("request")).await
    }

    /// Post a form with the CSRF token, as the page's form would.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("_csrf", &self.csrf));
        self.post_raw(path, &fields).await
    }

    /// Post exactly these fields (no CSRF token unless given).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        let request = Request::post(path)
            .header("cookie", &self.cookies)
            .header("accept", "text/html")
            .header("content-type", "application/x-www-form-urlencoded");
        self.send(request.body(Body::from(body)).expect("request")).await
    }
}
