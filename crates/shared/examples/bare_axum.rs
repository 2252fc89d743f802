//! The benchmarks' ceiling: the services' own `/healthz` handler in a bare axum server,
//! with no middleware, on the same runtime and allocator (mimalloc) as the services, so
//! the difference to a service's `/healthz` is what the fleet's stack costs. `PORT`
//! picks the port.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use shared::health::Health;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3999);
    let health = Arc::new(Health::new("bare-axum", "0"));
    let app = Router::new().route("/healthz", get(move || async move { health.live() }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await
}
