//! The edge layer with a block of its own: slow handlers time out with a 503, panics become
//! a 500 problem, and every answer carries a request id and the security headers.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use publica_kernel::db::BlockMigrations;
use publica_kernel::jobs::JobHandler;
use publica_kernel::testing::TestApp;
use publica_kernel::{Block, Kernel};

struct Misbehaving;

async fn panics() -> &'static str {
    panic!("a handler bug")
}

#[async_trait::async_trait]
impl Block for Misbehaving {
    fn name(&self) -> &'static str {
        "misbehaving"
    }
    fn migrations(&self) -> BlockMigrations {
        BlockMigrations { block: "misbehaving", sqlite: &[], postgres: &[] }
    }
    fn api_routes(&self, _kernel: &Kernel) -> axum::Router {
        axum::Router::new()
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route("/panics", get(panics))
    }
    fn page_routes(&self, _kernel: &Kernel) -> axum::Router {
        axum::Router::new()
    }
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        utoipa::openapi::OpenApi::default()
    }
    fn job_handlers(&self, _kernel: &Kernel) -> Vec<Arc<dyn JobHandler>> {
        Vec::new()
    }
    async fn seed_demo(&self, _kernel: &Kernel) -> publica_kernel::error::Result<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
}

#[tokio::test]
async fn slow_handlers_time_out_and_panics_are_contained() {
    let blocks: Vec<Arc<dyn Block>> = vec![Arc::new(Misbehaving)];
    let apps = TestApp::each_with(&blocks, |c| c.http.request_timeout_seconds = 1).await;
    let app = &apps[0];
    let started = std::time::Instant::now();
    let slow = app.get("/slow").await;
    assert_eq!(slow.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(3), "cut at the timeout");
    assert_eq!(slow.headers()["content-type"], "application/problem+json");
    assert!(slow.headers().contains_key("x-request-id"));

    // A client's request id comes back on every answer, a timed-out or panicked one too.
    let with_id = |path: &str, id: &str| {
        axum::http::Request::get(path).header("x-request-id", id).body(axum::body::Body::empty()).expect("request")
    };
    for (path, id) in [("/slow", "slow-1"), ("/panics", "panics-1"), ("/healthz", "healthz-1")] {
        let answer = app.request(with_id(path, id)).await;
        assert_eq!(answer.headers()["x-request-id"], id, "{path}");
    }

    let panicked = app.get("/panics").await;
    assert_eq!(panicked.status(), 500);
    assert_eq!(panicked.headers()["content-type"], "application/problem+json");
    assert_eq!(panicked.headers()["x-content-type-options"], "nosniff");
    // The process goes on serving.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// A service made on first use: callers racing from many tasks all get the one made first,
/// and it is made once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_made_on_first_use_is_made_once() {
    struct Counted(usize);
    let made = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let blocks: Vec<Arc<dyn Block>> = vec![Arc::new(Misbehaving)];
    let apps = TestApp::each(&blocks).await;
    let kernel = apps[0].kernel.clone();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (kernel, made) = (kernel.clone(), made.clone());
            tokio::spawn(async move {
                kernel.get_or_provide(|| Counted(made.fetch_add(1, std::sync::atomic::Ordering::SeqCst))).0
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), 0, "every caller gets the first one made");
    }
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert!(kernel.get::<Counted>().is_some());
}
