//! Bare axum server (`GET /healthz` → "ok"): the baseline that `bench/run` measures Publica against.

use axum::{Router, routing::get};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let app = Router::new().route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening");
    axum::serve(listener, app).await
}
