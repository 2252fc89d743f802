//! The gate every request passes after CORS: the client's rate limit, authentication of
//! mutating requests, and the request deadline (503 when it passes; never 408).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::{Auth, ClientRateLimiter};
use crate::error::ApiError;
use crate::health::BoxFuture;

#[derive(Clone)]
pub struct GateLayer {
    pub limiter: Arc<ClientRateLimiter>,
    pub auth: Arc<Auth>,
    pub deadline: Duration,
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Gate {
            layer: self.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    layer: GateLayer,
    inner: S,
}

impl<S> Service<Request> for Gate<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // Refusals are rendered inside the returned future: it is polled within the
        // request-id scope of the context middleware, this synchronous part is not.
        let rate_headers = match self.layer.limiter.admit(&mut req) {
            Ok(headers) => headers,
            Err(limited) => return Box::pin(async move { Ok(limited.into_response()) }),
        };
        if let Err(denied) = self.layer.auth.admit(&mut req) {
            return Box::pin(async move { Ok(with_headers(denied.into_response(), rate_headers)) });
        }
        let deadline = self.layer.deadline;
        let future = tokio::time::timeout(deadline, self.inner.call(req));
        Box::pin(async move {
            let response = match future.await {
                Ok(Ok(response)) => response,
                Err(_) => ApiError::unavailable(format!(
                    "The request did not complete within the server's deadline of {} ms",
                    deadline.as_millis()
                ))
                .into_response(),
            };
            Ok(with_headers(response, rate_headers))
        })
    }
}

fn with_headers<H>(mut response: Response, headers: Option<H>) -> Response
where
    H: IntoIterator<Item = (axum::http::HeaderName, axum::http::HeaderValue)>,
{
    if let Some(headers) = headers {
        response.headers_mut().extend(headers);
    }
    response
}
