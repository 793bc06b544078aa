//! Test support: databases per test, the binary started as a child process, HTTP helpers.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// Where a test's data lives: a data directory and, for PostgreSQL, a database of its own.
pub struct Backend {
    pub name: &'static str,
    pub dir: TempDir,
    pub database_url: Option<String>,
}

impl Backend {
    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// `--data DIR [--database-url URL]` for the command line.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_string(), self.data().display().to_string()];
        if let Some(url) = &self.database_url {
            args.push("--database-url".into());
            args.push(url.clone());
        }
        args
    }

    /// A direct connection for assertions and tampering.
    pub async fn connect(&self) -> Db {
        match &self.database_url {
            Some(url) => Db::Postgres(sqlx::PgPool::connect(url).await.expect("connect to PostgreSQL")),
            None => {
                let url = format!("sqlite://{}", self.data().join("publica.db").display());
                Db::Sqlite(sqlx::SqlitePool::connect(&url).await.expect("open SQLite"))
            }
        }
    }
}

pub enum Db {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Db {
    pub async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Db::Postgres(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
        .expect("execute")
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_string());
        match self {
            Db::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .expect("scalar")
    }

    /// `(job id text, started, finished)` of every finished run, in seconds since the epoch.
    pub async fn job_runs(&self) -> Vec<(String, f64, f64, String)> {
        match self {
            Db::Sqlite(p) => sqlx::query_as::<_, (String, f64, f64, String)>(
                "SELECT hex(job_id), (julianday(started_at) - 2440587.5) * 86400.0, (julianday(finished_at) - 2440587.5) * 86400.0, outcome
                 FROM kernel_job_runs WHERE finished_at IS NOT NULL",
            )
            .fetch_all(p)
            .await,
            Db::Postgres(p) => sqlx::query_as::<_, (String, f64, f64, String)>(
                "SELECT job_id::text, extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8, outcome
                 FROM kernel_job_runs WHERE finished_at IS NOT NULL",
            )
            .fetch_all(p)
            .await,
        }
        .expect("job runs")
    }

    pub async fn close(self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The PostgreSQL server for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("PUBLICA_TEST_POSTGRES").ok().filter(|s| !s.is_empty())
}

/// Create a fresh PostgreSQL database (optionally from a template) and return its URL.
pub async fn create_postgres_database(template: Option<&str>) -> Option<String> {
    let admin = postgres_admin_url()?;
    let name = format!("publica_test_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(&admin).await.expect("connect to PUBLICA_TEST_POSTGRES");
    let sql = match template {
        Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
        None => format!("CREATE DATABASE {name}"),
    };
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&pool).await.expect("create database");
    pool.close().await;
    let mut url = url_without_db(&admin);
    url.push_str(&name);
    Some(url)
}

fn url_without_db(url: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("URL with a database name");
    format!("{base}/")
}

/// The backends every database test runs on: SQLite always, PostgreSQL when configured.
pub async fn backends() -> Vec<Backend> {
    let mut list = vec![Backend { name: "sqlite", dir: tempfile::tempdir().expect("tempdir"), database_url: None }];
    match create_postgres_database(None).await {
        Some(url) => {
            list.push(Backend { name: "postgres", dir: tempfile::tempdir().expect("tempdir"), database_url: Some(url) })
        }
        None => eprintln!("note: PUBLICA_TEST_POSTGRES is not set; this run covers SQLite only (scripts/test sets it)"),
    }
    list
}

pub fn binary() -> PathBuf {
    std::env::var_os("PUBLICA_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_publica")))
}

/// Run a `publica` command to completion.
pub fn publica(backend: &Backend, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(binary());
    cmd.args(args).args(backend.args()).env("PUBLICA_LOG__FORMAT", "json").envs(env.iter().copied());
    cmd.output().expect("run publica")
}

/// A running `publica serve`, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(backend: &Backend, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .args(backend.args())
            .env("PUBLICA_LOG__FORMAT", "json")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start publica serve");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr: String = rest.chars().take_while(|c| *c != '"' && !c.is_whitespace()).collect();
                    let _ = tx.send(Ok(addr));
                    sent = true;
                } else if !sent {
                    let _ = tx.send(Err(line.clone()));
                }
                if std::env::var_os("PUBLICA_TEST_VERBOSE").is_some() {
                    eprintln!("[server] {line}");
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(Ok(addr)) => {
                    return Server { child, base: format!("http://{addr}") };
                }
                Ok(Err(line)) => seen.push(line),
                Err(_) => {
                    let _ = child.kill();
                    panic!("publica serve did not start; it said:\n{}", seen.join("\n"));
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stop with SIGTERM, as an orchestrator would, and wait.
    pub fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }

    /// Stop with SIGKILL: no chance to clean up.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// The value of a cookie set by a response.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        let (pair, _) = v.split_once(';').unwrap_or((v, ""));
        let (k, val) = pair.split_once('=')?;
        (k.trim() == name).then(|| val.trim().to_string())
    })
}

/// The `_csrf` value of the first form in an HTML page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().expect("token").to_string()
}

/// Poll `check` until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// The demo credentials written by `serve --demo`.
pub fn demo_credentials(backend: &Backend) -> serde_json::Value {
    let text = std::fs::read_to_string(backend.data().join("demo-credentials.json")).expect("demo-credentials.json");
    serde_json::from_str(&text).expect("JSON")
}

/// The kernel API key of a demo organisation.
pub fn demo_key(backend: &Backend, slug: &str) -> String {
    let creds = demo_credentials(backend);
    creds["kernel"]["organisations"]
        .as_array()
        .expect("organisations")
        .iter()
        .find(|o| o["slug"] == slug)
        .and_then(|o| o["api_key"].as_str())
        .expect("demo key")
        .to_string()
}
