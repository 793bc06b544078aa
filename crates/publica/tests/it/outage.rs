//! Database outage: requests get a fast 503 while PostgreSQL is unreachable and 200 again once
//! it is back, without restarting Publica. A proxy between Publica and PostgreSQL plays the
//! outage (SQLite is embedded in the process and cannot go away on its own).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::support::{Backend, Server, client, create_postgres_database, eventually, postgres_admin_url};

/// A TCP proxy that can cut every connection and refuse new ones.
struct ChaosProxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl ChaosProxy {
    async fn start(target: String) -> ChaosProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Notify::new());
        let (up2, cut2) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let cut = cut2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        () = cut.notified() => {}
                    }
                });
            }
        });
        ChaosProxy { port, up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

// Multi-threaded: the proxy must keep serving while the test blocks starting the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_gives_fast_503s_and_heals_itself() {
    let Some(_) = postgres_admin_url() else {
        eprintln!("note: PUBLICA_TEST_POSTGRES is not set; the outage test needs PostgreSQL (scripts/test sets it)");
        return;
    };
    let url = create_postgres_database(None).await.expect("database");
    let parsed = url::Url::parse(&url).expect("url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(5432));
    let proxy = ChaosProxy::start(target).await;
    let mut via_proxy = parsed.clone();
    via_proxy.set_port(Some(proxy.port)).expect("port");
    let backend = Backend {
        name: "postgres",
        dir: tempfile::tempdir().expect("tempdir"),
        database_url: Some(via_proxy.to_string()),
    };
    let server = Server::start(&backend, &["--demo"], &[("PUBLICA_DATABASE__ACQUIRE_TIMEOUT_MS", "1000")]);
    let http = client();
    let key = crate::support::demo_key(&backend, "interior");
    assert_eq!(http.get(server.url("/readyz")).send().await.expect("readyz").status(), 200);

    proxy.down();
    let started = Instant::now();
    let r = http.get(server.url("/readyz")).send().await.expect("readyz");
    assert_eq!(r.status(), 503);
    let api = http.get(server.url("/api/kernel/v1/members")).bearer_auth(&key).send().await.expect("api");
    assert_eq!(api.status(), 503);
    assert_eq!(api.headers()["content-type"], "application/problem+json");
    assert!(started.elapsed() < Duration::from_secs(5), "503s must be fast, took {:?}", started.elapsed());
    assert_eq!(
        http.get(server.url("/healthz")).send().await.expect("healthz").status(),
        200,
        "the process itself is alive"
    );

    proxy.restore();
    eventually(Duration::from_secs(15), "readiness after the database returns", || async {
        http.get(server.url("/readyz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    let api = http.get(server.url("/api/kernel/v1/members")).bearer_auth(&key).send().await.expect("api");
    assert_eq!(api.status(), 200);
    server.stop();
}
