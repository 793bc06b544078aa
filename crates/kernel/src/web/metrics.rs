//! Prometheus metrics: requests by route and status, latency histograms; the job queue and
//! database pool are sampled when `/metrics` is scraped.

use std::sync::{LazyLock, OnceLock, PoisonError, RwLock};

use axum::http::{Method, StatusCode};
use metrics::Label;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use rustc_hash::FxHashMap;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Install the process-wide recorder once; later calls return the same handle.
pub fn install_recorder() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &buckets)
                .and_then(|b| b.install_recorder())
                .unwrap_or_else(|_| {
                    // Another recorder is installed (a test harness): keep a detached one.
                    PrometheusBuilder::new().build_recorder().handle()
                })
        })
        .clone()
}

/// The method as a label without allocating for the common ones.
pub(super) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A route's counter and, except for the health probes, its latency histogram: probes are
/// answered without work, so their latencies would only dilute what the histogram shows.
type Handles = (metrics::Counter, Option<metrics::Histogram>);
type ByRoute = FxHashMap<Box<str>, FxHashMap<(&'static str, u16), Handles>>;

/// Handles by route, then by method and status, so that recording a request is one read lock
/// and two hash lookups rather than building and hashing a labelled key twice.
static HANDLES: LazyLock<RwLock<ByRoute>> = LazyLock::new(Default::default);

/// Whether the route is a health probe, whose latency is not recorded.
pub(super) fn is_probe(route: Option<&str>) -> bool {
    matches!(route, Some("/healthz" | "/readyz"))
}

/// Count the request and record its latency (measured for every route but the probes), by
/// method, route and status.
pub(super) fn record(method: &'static str, route: Option<&str>, status: StatusCode, seconds: Option<f64>) {
    let route = route.unwrap_or("unmatched");
    let code = status.as_u16();
    {
        let cache = HANDLES.read().unwrap_or_else(PoisonError::into_inner);
        if let Some((counter, histogram)) = cache.get(route).and_then(|m| m.get(&(method, code))) {
            counter.increment(1);
            if let (Some(histogram), Some(seconds)) = (histogram, seconds) {
                histogram.record(seconds);
            }
            return;
        }
    }
    let labels =
        [Label::new("method", method), Label::new("route", route.to_string()), Label::new("status", code.to_string())];
    let counter = metrics::counter!("publica_http_requests_total", labels.iter());
    let histogram =
        (!is_probe(Some(route))).then(|| metrics::histogram!("publica_http_request_duration_seconds", labels.iter()));
    counter.increment(1);
    if let (Some(histogram), Some(seconds)) = (&histogram, seconds) {
        histogram.record(seconds);
    }
    HANDLES
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(route.into())
        .or_default()
        .insert((method, code), (counter, histogram));
}
