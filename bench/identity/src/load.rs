//! The load generator: CONCURRENCY keep-alive HTTP/1.1 connections on one thread, each sending
//! its next request as soon as the previous answer is read. The same code drives Publica and
//! the Node peer. Every answer is checked (a token response with the tokens expected, or a
//! sign-in's redirect with a session cookie); the rate counts only good answers, and anything
//! else is reported by status with the first such answer shown.
//!
//! - code exchanges: each code of a file is posted once (the first WARMUP_CODES untimed);
//! - `client_credentials` grants and sign-ins: for SECONDS, after WARMUP_SECONDS untimed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::{self, HeaderMap};
use reqwest::{RequestBuilder, StatusCode};

use crate::Result;

/// The confidential client's `client_secret_basic` credentials (RFC 6749 §2.3.1: each half
/// form-encoded, then base64).
pub struct Client {
    basic: String,
}

impl Client {
    pub fn new(id: &str, secret: &str) -> Client {
        let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        Client { basic: format!("Basic {}", STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))) }
    }
}

/// What a timed phase gave.
#[derive(Default)]
pub struct Outcome {
    pub ok: u64,
    pub failed: BTreeMap<u16, u64>,
    pub first_failure: Option<String>,
    pub latencies_us: Vec<u32>,
    pub elapsed: Duration,
    /// Good answers during the untimed warm-up before.
    pub warm_ok: u64,
}

impl Outcome {
    fn failures(&self) -> u64 {
        self.failed.values().sum()
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let i = ((sorted.len() - 1) as f64 * p).round() as usize;
        f64::from(sorted[i]) / 1000.0
    }

    /// `rate ok failed p50_ms p99_ms all_ok` on stdout (`all_ok` counts the warm-up's good
    /// answers too); failures by status on stderr.
    pub fn print(&self) {
        let rate = self.ok as f64 / self.elapsed.as_secs_f64();
        let (p50, p99) = (self.percentile_ms(0.5), self.percentile_ms(0.99));
        println!("{rate:.1} {} {} {p50:.3} {p99:.3} {}", self.ok, self.failures(), self.ok + self.warm_ok);
        if !self.failed.is_empty() {
            eprintln!("failures by status: {:?}", self.failed);
            if let Some(first) = &self.first_failure {
                eprintln!("first failure: {first}");
            }
        }
    }
}

/// When a phase ends.
enum Until {
    /// After the request for index `end - 1` (indexes start at the given value).
    Index {
        next: Cell<usize>,
        end: usize,
    },
    Deadline(Instant),
}

impl Until {
    /// The index of the next request, or `None` when the phase is over.
    fn next(&self, counter: &Cell<usize>) -> Option<usize> {
        match self {
            Until::Index { next, end } => {
                let i = next.get();
                next.set(i + 1);
                (i < *end).then_some(i)
            }
            Until::Deadline(at) => {
                let i = counter.get();
                counter.set(i + 1);
                (Instant::now() < *at).then_some(i)
            }
        }
    }
}

/// Run CONCURRENCY workers until `until`: `request(i)` builds the i-th request, `good` judges
/// an answer.
async fn phase(
    concurrency: usize,
    until: Until,
    request: &dyn Fn(usize) -> RequestBuilder,
    good: &dyn Fn(StatusCode, &HeaderMap, &[u8]) -> bool,
) -> Outcome {
    let outcome = RefCell::new(Outcome::default());
    let counter = Cell::new(0usize);
    let start = Instant::now();
    let worker = || async {
        while let Some(i) = until.next(&counter) {
            let sent = Instant::now();
            let answer = match request(i).send().await {
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body) => Ok((status, headers, body)),
                        Err(e) => Err(e.to_string()),
                    }
                }
                Err(e) => Err(e.to_string()),
            };
            let took = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
            let mut o = outcome.borrow_mut();
            match answer {
                Ok((status, headers, body)) if good(status, &headers, &body) => {
                    o.ok += 1;
                    o.latencies_us.push(took);
                }
                Ok((status, _, body)) => {
                    *o.failed.entry(status.as_u16()).or_default() += 1;
                    if o.first_failure.is_none() {
                        o.first_failure = Some(format!("{status}: {}", summary(&body)));
                    }
                }
                Err(e) => {
                    *o.failed.entry(0).or_default() += 1;
                    o.first_failure.get_or_insert(format!("transport error: {e}"));
                }
            }
        }
    };
    futures::future::join_all((0..concurrency).map(|_| worker())).await;
    let mut outcome = outcome.into_inner();
    outcome.elapsed = start.elapsed();
    outcome
}

/// What an answer says: a page's first field error as text, or the start of the body.
fn summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let field_error = text.find("-error\">").and_then(|at| {
        let rest = &text[at + 8..];
        let html = &rest[..rest.find("</p>")?];
        let mut plain = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        Some(format!("page with the field error \"{}\"", plain.split_whitespace().collect::<Vec<_>>().join(" ")))
    });
    field_error.unwrap_or_else(|| text.chars().take(300).collect())
}

fn http() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .http1_only()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(1024)
        .build()?)
}

/// A token response: 200 with every member in `members` present.
fn token_response(members: &'static [&'static str]) -> impl Fn(StatusCode, &HeaderMap, &[u8]) -> bool {
    move |status, _, body| {
        status == StatusCode::OK
            && serde_json::from_slice::<serde_json::Value>(body)
                .is_ok_and(|v| members.iter().all(|m| v.get(m).and_then(serde_json::Value::as_str).is_some()))
    }
}

/// Post each code once (authorization code grant): warm-up codes first, then the timed rest.
pub async fn exchange(
    url: &str,
    client: &Client,
    redirect_uri: &str,
    codes: &[String],
    concurrency: usize,
    warmup: usize,
) -> Result<Outcome> {
    if codes.len() <= warmup {
        return Err(format!("{} codes are not more than the {warmup} warm-up codes", codes.len()).into());
    }
    let http = http()?;
    let request = |i: usize| {
        let form = [("grant_type", "authorization_code"), ("code", codes[i].as_str()), ("redirect_uri", redirect_uri)];
        http.post(url).header(header::AUTHORIZATION, &client.basic).form(&form)
    };
    let good = token_response(&["access_token", "id_token"]);
    let warm = phase(concurrency, Until::Index { next: Cell::new(0), end: warmup }, &request, &good).await;
    if warm.failures() > 0 {
        warm.print();
        return Err("the warm-up exchanges failed".into());
    }
    let mut outcome =
        phase(concurrency, Until::Index { next: Cell::new(warmup), end: codes.len() }, &request, &good).await;
    outcome.warm_ok = warm.ok;
    Ok(outcome)
}

/// `client_credentials` grants for a resource, for `seconds` after `warmup` seconds.
pub async fn client_credentials(
    url: &str,
    client: &Client,
    resource: &str,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
) -> Result<Outcome> {
    let http = http()?;
    let request = |_| {
        let form = [("grant_type", "client_credentials"), ("resource", resource)];
        http.post(url).header(header::AUTHORIZATION, &client.basic).form(&form)
    };
    let good = token_response(&["access_token"]);
    let deadline = |s: f64| Until::Deadline(Instant::now() + Duration::from_secs_f64(s));
    let warm = phase(concurrency, deadline(warmup), &request, &good).await;
    if warm.failures() > 0 {
        warm.print();
        return Err("the warm-up grants failed".into());
    }
    let mut outcome = phase(concurrency, deadline(seconds), &request, &good).await;
    outcome.warm_ok = warm.ok;
    Ok(outcome)
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (n, value) = pair.split_once('=')?;
        (n.trim() == name).then(|| value.trim().to_string())
    })
}

/// The `_csrf` field of a page's form.
pub fn csrf_field(html: &str) -> Option<String> {
    let at = html.find("name=\"_csrf\"")?;
    let rest = &html[at..];
    let value = &rest[rest.find("value=\"")? + 7..];
    Some(value[..value.find('"')?].to_string())
}

/// Password sign-ins (`POST /identity/sign-in`) of one account without a second factor, each
/// a new browser session: good when answered by a redirect to `return_to` with a session
/// cookie. One CSRF cookie and token serve every request, as for one browser.
pub async fn sign_ins(
    base: &str,
    email: &str,
    password: &str,
    concurrency: usize,
    seconds: f64,
    warmup: f64,
) -> Result<Outcome> {
    let http = http()?;
    let (csrf_cookie, csrf) = csrf(&http, base).await?;
    let url = format!("{base}/identity/sign-in");
    let cookie_header = format!("publica_csrf={csrf_cookie}");
    let request = |_| {
        let form =
            [("_csrf", csrf.as_str()), ("email", email), ("password", password), ("return_to", "/identity/account")];
        http.post(&url).header(header::COOKIE, &cookie_header).form(&form)
    };
    let good = |status: StatusCode, headers: &HeaderMap, _: &[u8]| {
        status.is_redirection()
            && headers.get(header::LOCATION).is_some_and(|l| l == "/identity/account")
            && cookie(headers, publica_identity::accounts::SESSION_COOKIE).is_some_and(|c| !c.is_empty())
    };
    let deadline = |s: f64| Until::Deadline(Instant::now() + Duration::from_secs_f64(s));
    let warm = phase(concurrency, deadline(warmup), &request, &good).await;
    if warm.failures() > 0 {
        warm.print();
        return Err("the warm-up sign-ins failed".into());
    }
    let mut outcome = phase(concurrency, deadline(seconds), &request, &good).await;
    outcome.warm_ok = warm.ok;
    Ok(outcome)
}

/// A browser's CSRF cookie and the token its forms carry, from the sign-in page.
pub async fn csrf(http: &reqwest::Client, base: &str) -> Result<(String, String)> {
    let page = http.get(format!("{base}/identity/sign-in")).send().await?;
    if page.status() != StatusCode::OK {
        return Err(format!("GET /identity/sign-in answered {}", page.status()).into());
    }
    let cookie = cookie(page.headers(), "publica_csrf").ok_or("the sign-in page set no publica_csrf cookie")?;
    let token = csrf_field(&page.text().await?).ok_or("the sign-in page has no _csrf field")?;
    Ok((cookie, token))
}
