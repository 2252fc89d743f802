//! The frame around each request, once the request id is settled: the id becomes the
//! current one for every error envelope rendered inside, a library layer's bare deadline
//! answer becomes an envelope, and the request's metrics and log line are recorded with
//! its final status (refusals, timeouts and panics included).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::RequestId;

use super::CorrelationId;
use super::envelope::fill_bare;
use super::observe::{Observe, Seen};
use crate::error::with_request_id;

pub struct Frame {
    pub observe: Observe,
    pub deadline: Duration,
}

pub async fn frame(State(frame): State<Arc<Frame>>, req: Request, next: Next) -> Response {
    let seen = Seen::of(&req);
    let id = CorrelationId::of(req.extensions().get::<RequestId>());
    let deadline = frame.deadline;
    let response = with_request_id(id.clone(), async move {
        fill_bare(next.run(req).await, deadline)
    })
    .await;
    frame.observe.record(seen, response.status(), &id);
    response
}
