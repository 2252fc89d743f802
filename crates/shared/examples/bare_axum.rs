//! The benchmarks' ceiling: a bare axum server with no middleware, same runtime and
//! allocator (mimalloc) as the services. `PORT` picks the port.

use axum::Router;
use axum::routing::get;

// Linking `shared` gives it the services' global allocator (mimalloc).
use shared as _;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3999);
    let app = Router::new().route("/healthz", get(|| async { r#"{"status":"healthy"}"# }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
