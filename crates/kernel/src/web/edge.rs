//! The one layer every request passes through: request id (kept from `X-Request-Id` or made
//! up), a tracing span and one log line, a timeout, a panic guard, security headers and the
//! request metrics. Written as a single tower service rather than a stack of generic layers
//! because it is the hot path of every API (see bench/RESULTS.md).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::HttpBody;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::Kernel;
use crate::error::{ApiError, Error};

pub(super) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a random per-process prefix and a counter, shaped like a UUID. Unique without
/// a system call per request (a random UUID would read the kernel's RNG every time).
struct RequestIds {
    /// The id with the prefix written and the counter at zero.
    template: [u8; 36],
    counter: AtomicU64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Where the 32 hex digits of an id go: all but the dashes.
fn digit_slots() -> impl Iterator<Item = usize> {
    (0..36).filter(|i| ![8, 13, 18, 23].contains(i))
}

impl RequestIds {
    fn new() -> Self {
        let prefix = u64::from_be_bytes(crate::crypto::random_bytes());
        let mut template = [b'-'; 36];
        let digits = (0..16).map(|i| (prefix >> (60 - 4 * i)) & 0xf).chain(std::iter::repeat(0));
        for (slot, digit) in digit_slots().zip(digits) {
            template[slot] = HEX[digit as usize];
        }
        RequestIds { template, counter: AtomicU64::new(0) }
    }

    /// `pppppppp-pppp-pppp-nnnn-nnnnnnnnnnnn` in lowercase hex: prefix, then counter.
    fn next(&self) -> HeaderValue {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut out = self.template;
        // The counter's 16 digits: slots 19–22, then 24–35.
        for (i, slot) in (19..23).chain(24..36).enumerate() {
            out[slot] = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&out).unwrap_or(HeaderValue::from_static("unknown"))
    }
}

/// A client's own request id is kept when it is short, visible ASCII.
fn acceptable(id: &HeaderValue) -> bool {
    !id.is_empty() && id.len() <= 200 && id.as_bytes().iter().all(|b| b.is_ascii_graphic())
}

/// What every clone of the edge service shares: one reference count to bump per request.
struct Shared {
    kernel: Kernel,
    ids: RequestIds,
    timeout: Duration,
    body_limit: usize,
}

#[derive(Clone)]
pub(super) struct EdgeLayer(Arc<Shared>);

impl EdgeLayer {
    pub(super) fn new(kernel: &Kernel, timeout: Duration, body_limit: usize) -> Self {
        EdgeLayer(Arc::new(Shared { kernel: kernel.clone(), ids: RequestIds::new(), timeout, body_limit }))
    }
}

impl<S: Clone> Layer<S> for EdgeLayer {
    type Service = Edge<S>;
    fn layer(&self, inner: S) -> Self::Service {
        // The body limit that extractors honour, wrapped here rather than as a layer of its
        // own: each router layer costs a boxed clone per request.
        let limited = DefaultBodyLimit::max(self.0.body_limit).layer(inner.clone());
        Edge { limited, plain: inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub(super) struct Edge<S> {
    /// For requests with a body: the limit goes into their extensions.
    limited: <DefaultBodyLimit as Layer<S>>::Service,
    /// For requests without one, which have nothing to limit.
    plain: S,
    layer: EdgeLayer,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Both, since which one serves is known only from the request.
        match (self.limited.poll_ready(cx), self.plain.poll_ready(cx)) {
            (Poll::Ready(Ok(())), Poll::Ready(Ok(()))) => Poll::Ready(Ok(())),
            _ => Poll::Pending,
        }
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request.extensions().get::<MatchedPath>().cloned();
        // A probe's latency goes to no histogram: it is measured only for the request log.
        let probe = super::metrics::is_probe(route.as_ref().map(MatchedPath::as_str));
        let start = (!probe || tracing::enabled!(tracing::Level::INFO)).then(Instant::now);
        // Handlers read the id from `audit::REQUEST_ID`, not from the request's headers.
        let id = match request.headers().get(REQUEST_ID) {
            Some(id) if acceptable(id) => id.clone(),
            _ => self.layer.0.ids.next(),
        };
        let method = super::metrics::method_label(request.method());
        let https = super::is_https(&self.layer.0.kernel, request.headers());

        let span = tracing::info_span!("request", method, path = %request.uri().path(), request_id = ?id);
        // Called here, on the service `poll_ready` readied: its future owns what it needs, so
        // no clone of the inner service (a boxed route, an allocation) is made per request.
        // A request without a body (a GET, most often) skips the body limit's extension.
        let bodiless = request.body().is_end_stream();
        let handled = std::panic::catch_unwind(AssertUnwindSafe(|| {
            if bodiless { self.plain.call(request) } else { self.limited.call(request) }
        }));
        let timeout = self.layer.0.timeout;
        let handle = async move {
            let (outcome, id) = match handled {
                Ok(future) => {
                    let mut scoped = std::pin::pin!(crate::audit::REQUEST_ID.scope(id, future));
                    let outcome = {
                        let mut guarded = std::pin::pin!(AssertUnwindSafe(scoped.as_mut()).catch_unwind());
                        // Most answers are ready at the first poll; only the others need a timer.
                        match futures::poll!(guarded.as_mut()) {
                            Poll::Ready(result) => Ok(result),
                            Poll::Pending => tokio::time::timeout(timeout, guarded).await,
                        }
                    };
                    // The id back from the scope (which keeps it even through a panic), rather
                    // than a copy made for it.
                    let id = scoped.as_mut().take_value().unwrap_or(HeaderValue::from_static("unknown"));
                    (outcome, id)
                }
                Err(panic) => (Ok(Err(panic)), id),
            };
            let mut response = match outcome {
                Ok(Ok(Ok(response))) => response,
                Ok(Ok(Err(never))) => match never {},
                Ok(Err(_panic)) => {
                    tracing::error!("a handler panicked");
                    ApiError(Error::internal("handler panicked")).into_response()
                }
                Err(_elapsed) => ApiError(Error::Unavailable(format!(
                    "the request took longer than {} s; try again",
                    timeout.as_secs()
                )))
                .into_response(),
            };
            let status = response.status();
            response.headers_mut().insert(REQUEST_ID, id);
            security_headers(response.headers_mut(), https);
            let seconds = start.map(|start| start.elapsed().as_secs_f64());
            super::metrics::record(method, route.as_ref().map(MatchedPath::as_str), status, seconds);
            let latency_ms = seconds.map(|s| s * 1000.0);
            if status.is_server_error() {
                tracing::error!(status = status.as_u16(), latency_ms, "request failed");
            } else {
                tracing::info!(status = status.as_u16(), latency_ms, "request");
            }
            Ok(response)
        };
        // A disabled span (INFO off) costs nothing to skip but something to carry.
        if span.is_disabled() { Box::pin(handle) } else { Box::pin(handle.instrument(span)) }
    }
}

/// The content security policy of every page: no script, styles and images from here, forms
/// posted only here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The page policy with more places forms may lead to: browsers apply `form-action` to every
/// redirect that follows a form's submission too, so a sign-in page whose form ends at a client
/// application's redirect URI must name that application's origin. Origins that could break
/// out of the directive are left out.
pub fn page_policy_with_form_targets(origins: &[String]) -> String {
    let extra: Vec<&str> = origins.iter().map(String::as_str).filter(|o| !o.contains([';', ',', '\'', ' '])).collect();
    if extra.is_empty() {
        return PAGE_POLICY.to_string();
    }
    PAGE_POLICY.replacen("form-action 'self'", &format!("form-action 'self' {}", extra.join(" ")), 1)
}

/// Security headers. Pages get the full set; other responses (JSON, text, files) get what
/// matters for a resource a browser does not render as a document, as OWASP's REST guidance
/// has it. Handlers may set their own first; these fill the gaps.
fn security_headers(h: &mut HeaderMap, https: bool) {
    let page = h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let mut set = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if page {
        // No page needs script: everything works as plain HTML forms.
        set(header::CONTENT_SECURITY_POLICY, PAGE_POLICY);
        set(header::X_FRAME_OPTIONS, "DENY");
        set(header::REFERRER_POLICY, "no-referrer");
        set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
        set(HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=(), payment=()");
    } else {
        set(header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'");
    }
    if https {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_shaped_like_uuids_and_count() {
        let ids = RequestIds::new();
        let first = ids.next();
        let second = ids.next();
        let (first, second) = (first.to_str().expect("ascii"), second.to_str().expect("ascii"));
        assert!(uuid::Uuid::parse_str(first).is_ok(), "{first}");
        assert!(first.ends_with("-0000-000000000000") && second.ends_with("-0000-000000000001"), "{first} {second}");
        assert_eq!(first[..19], second[..19], "one prefix per process");
        ids.counter.store(0x0123_4567_89ab_cdef, Ordering::Relaxed);
        assert!(ids.next().to_str().expect("ascii").ends_with("-0123-456789abcdef"));
        assert_ne!(RequestIds::new().next().to_str().expect("ascii")[..19], first[..19], "random prefixes");
    }
}
