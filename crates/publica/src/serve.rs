//! `publica serve`: migrate, seed the demo if asked (in a child process, see `demo`), then
//! serve HTTP and run the job worker until SIGTERM or Ctrl-C.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use publica_kernel::config::Config;
use publica_kernel::jobs::{Worker, WorkerSettings};
use publica_kernel::{Block, Kernel};
use tokio::sync::watch;

/// Logs: JSON lines for machines, readable text on a terminal.
pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = match config.log.format.as_str() {
        "json" => true,
        "text" => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.try_init()
    };
}

pub async fn serve(config: Config, warnings: &[String], blocks: Vec<Arc<dyn Block>>) -> anyhow::Result<()> {
    init_logging(&config);
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    publica_kernel::web::install_recorder();
    let refs: Vec<&dyn Block> = blocks.iter().map(|b| b.as_ref()).collect();
    if let Some(list) = config.block_list() {
        let known: Vec<&str> = refs.iter().map(|b| b.name()).collect();
        if let Some(unknown) = list.iter().find(|b| !known.contains(&b.as_str())) {
            anyhow::bail!("--blocks names `{unknown}`, which this binary does not have; known: {}", known.join(", "));
        }
    }
    // Bound first, so that a port chosen by the system (`--listen 127.0.0.1:0`) is the one the
    // blocks put into links and token audiences when no public URL is configured.
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (is another process using it? set --listen)", config.listen))?;
    let address = listener.local_addr()?;
    let mut config = config;
    config.listen = address;
    let kernel = Kernel::open(config.clone(), &refs).await.context("cannot open the database")?;
    if config.demo {
        let credentials = crate::demo::seed_in_child(&config).await?;
        kernel.set_demo_credentials(credentials);
        tracing::info!(path = %crate::demo::credentials_path(&config).display(), "demo seeded; credentials at /demo");
    }
    let app = publica_kernel::web::app(&kernel, &blocks);

    let (stop_tx, stop_rx) = watch::channel(false);
    let worker = if config.jobs.workers > 0 {
        let handlers = blocks.iter().flat_map(|b| b.job_handlers(&kernel)).collect();
        let settings = WorkerSettings {
            concurrency: config.jobs.workers,
            poll_interval: Duration::from_millis(config.jobs.poll_interval_ms.max(10)),
            lease: Duration::from_secs(config.jobs.lease_seconds),
        };
        let worker = Worker::new(kernel.db().clone(), handlers, settings, kernel.job_wake());
        Some(tokio::spawn(worker.run(stopped(stop_rx.clone()))))
    } else {
        None
    };
    // Housekeeping once a minute: keys rotated by another process become visible here, and
    // expired sessions, links and old succeeded jobs are deleted, and each block tidies up
    // (personal data past its retention period, for example).
    let reload = {
        let kernel = kernel.clone();
        let blocks = blocks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(60)).await;
                if let Err(e) = kernel.keys().reload(kernel.db()).await {
                    tracing::warn!(error = %e, "cannot reload keys");
                }
                if let Err(e) = kernel.purge_expired_sessions().await {
                    tracing::warn!(error = %e, "cannot purge expired sessions");
                }
                let days = kernel.config().jobs.retention_days;
                if let Err(e) = publica_kernel::jobs::purge_succeeded(kernel.db(), days).await {
                    tracing::warn!(error = %e, "cannot purge finished jobs");
                }
                for block in &blocks {
                    if let Err(e) = block.housekeeping(&kernel).await {
                        tracing::warn!(block = block.name(), error = %e, "housekeeping failed");
                    }
                }
            }
        })
    };

    tracing::info!(address = %address, database = kernel.db().backend(), "listening on http://{address}");
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    };
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("server error")?;
    reload.abort();
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    kernel.db().close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
