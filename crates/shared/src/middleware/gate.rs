//! The gate every request passes after CORS: the client's rate limit (infrastructure
//! routes are exempt, so probes and scrapes never eat a client's budget), then
//! authentication of mutating requests.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Auth, ClientRateLimiter};
use crate::routing::is_infrastructure;

pub struct Gate {
    pub limiter: Arc<ClientRateLimiter>,
    pub auth: Arc<Auth>,
}

pub async fn admit(State(gate): State<Arc<Gate>>, mut req: Request, next: Next) -> Response {
    let exempt = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| is_infrastructure(path.as_str()));
    let rate = if exempt {
        None
    } else {
        // Without a socket (a test calling the router directly) the peer is loopback.
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        match gate.limiter.admit(&mut req, peer) {
            Ok(headers) => Some(headers),
            Err(limited) => return limited.into_response(),
        }
    };
    let mut response = match gate.auth.admit(&mut req) {
        Ok(()) => next.run(req).await,
        Err(denied) => denied.into_response(),
    };
    if let Some(rate) = rate {
        response.headers_mut().extend(rate);
    }
    response
}
