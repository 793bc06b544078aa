//! Test support for every block: a [`TestApp`] holding a real kernel on a throwaway SQLite
//! data directory or PostgreSQL database, and the full router to drive in-process.
//!
//! ```no_run
//! # async fn example() {
//! use publica_kernel::testing::TestApp;
//! for app in TestApp::each(&[]).await {
//!     let response = app.get("/healthz").await;
//!     assert_eq!(response.status(), 200);
//! }
//! # }
//! ```

mod browser;
mod openapi;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use tower::ServiceExt;

pub use browser::{Browser, Page, csrf_token, unescape};
pub use openapi::assert_openapi_snapshot;

use crate::audit::Actor;
use crate::block::KernelBlock;
use crate::config::{Config, Secret};
use crate::{Block, Kernel};

/// A kernel and its router on one backend, with the data directory it lives in.
pub struct TestApp {
    pub kernel: Kernel,
    pub router: Router,
    pub backend: &'static str,
    blocks: Vec<Arc<dyn Block>>,
    _dir: tempfile::TempDir,
    _database: Option<PgTestDatabase>,
}

/// A PostgreSQL database made for one test, dropped with it (connections still open are
/// ended), so that a run of the suite does not leave hundreds of databases behind.
pub struct PgTestDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgTestDatabase {
    /// A fresh database on the test server, if `PUBLICA_TEST_POSTGRES` is set.
    pub async fn create() -> Option<PgTestDatabase> {
        let admin = std::env::var("PUBLICA_TEST_POSTGRES").ok().filter(|s| !s.is_empty())?;
        let name = format!("publica_test_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&admin).await.expect("connect to PUBLICA_TEST_POSTGRES");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&pool)
            .await
            .expect("create database");
        pool.close().await;
        let (base, _) = admin.rsplit_once('/').expect("a URL ending in a database name");
        let url = format!("{base}/{name}");
        Some(PgTestDatabase { admin, name, url })
    }
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which must not block on itself: a thread with
        // a runtime of its own does the work. A failure only leaves the database behind.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let pool = sqlx::PgPool::connect(&admin).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let done = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.ok();
                pool.close().await;
                done
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop the test database {}", self.name);
        }
    }
}

/// A job worker running the blocks' handlers until dropped.
pub struct RunningWorker {
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// One app per backend: SQLite always, PostgreSQL when `PUBLICA_TEST_POSTGRES` is set.
    /// `blocks` come after the kernel block, which is always present.
    pub async fn each(blocks: &[Arc<dyn Block>]) -> Vec<TestApp> {
        Self::each_with(blocks, |_| {}).await
    }

    /// As [`TestApp::each`], adjusting the configuration first.
    pub async fn each_with(blocks: &[Arc<dyn Block>], adjust: impl Fn(&mut Config)) -> Vec<TestApp> {
        let mut apps = vec![Self::start(blocks, None, &adjust).await];
        if let Some(database) = PgTestDatabase::create().await {
            apps.push(Self::start(blocks, Some(database), &adjust).await);
        } else {
            eprintln!("note: PUBLICA_TEST_POSTGRES is not set; SQLite only (scripts/test sets it)");
        }
        apps
    }

    async fn start(
        blocks: &[Arc<dyn Block>],
        database: Option<PgTestDatabase>,
        adjust: &impl Fn(&mut Config),
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary data directory");
        let mut config = Config { data: dir.path().to_path_buf(), ..Config::default() };
        config.database_url = database.as_ref().map(|d| Secret::new(d.url.clone()));
        config.jobs.workers = 0;
        adjust(&mut config);
        let mut all: Vec<Arc<dyn Block>> = vec![Arc::new(KernelBlock)];
        all.extend(blocks.iter().cloned());
        let refs: Vec<&dyn Block> = all.iter().map(|b| b.as_ref()).collect();
        let kernel = Kernel::open(config, &refs).await.expect("open the kernel");
        let router = crate::web::app(&kernel, &all);
        TestApp { backend: kernel.db().backend(), kernel, router, blocks: all, _dir: dir, _database: database }
    }

    /// Run every block's job handlers in the background (tests start with no worker) until the
    /// returned guard is dropped.
    pub fn worker(&self) -> RunningWorker {
        let handlers = self.blocks.iter().flat_map(|b| b.job_handlers(&self.kernel)).collect();
        let settings = crate::jobs::WorkerSettings {
            concurrency: 4,
            poll_interval: std::time::Duration::from_millis(20),
            lease: std::time::Duration::from_secs(10),
        };
        let worker = crate::jobs::Worker::new(self.kernel.db().clone(), handlers, settings, self.kernel.job_wake());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(worker.run(async move {
            let _ = stopped.await;
        }));
        RunningWorker { _stop: stop }
    }

    /// The data directory of this app.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Send a request through the whole middleware stack.
    pub async fn request(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.expect("infallible router")
    }

    /// A session token for the staff member with this email (their first membership), signed
    /// in by a login link as the pages' sign-in does; for the `publica_session` cookie.
    pub async fn staff_session(&self, email: &str) -> String {
        let email = crate::domain::Email::parse("email", email).expect("email");
        let member = self.kernel.memberships(&email).await.expect("memberships").remove(0);
        let link = self.kernel.issue_login_link(&Actor::operator(), member.id).await.expect("link");
        self.kernel.redeem_login_link(&link).await.expect("session")
    }

    pub async fn get(&self, path: &str) -> Response<Body> {
        self.request(Request::get(path).body(Body::empty()).expect("request")).await
    }

    /// A JSON request with a bearer token; returns the status and the parsed body.
    pub async fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut builder =
            Request::builder().method(method).uri(path).header("authorization", format!("Bearer {token}"));
        let body = match body {
            Some(b) => {
                builder = builder.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let response = self.request(builder.body(body).expect("request")).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }
}
