//! The stack's response future, written out rather than boxed: hyper keeps it inline in
//! its connection task, so a request costs no allocation and no copy of a large future
//! into one.

use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pin_project_lite::pin_project;
use tokio::task::futures::TaskLocalFuture;
use tokio::time::Sleep;
use tower_http::compression::ResponseFuture as CompressionFuture;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

use super::context::CorrelationId;
use super::hygiene::{method_not_allowed_envelope, panic_response};
use super::stack::Finish;
use crate::error::ApiError;

/// When the stack compresses a response: above 1 KiB (below that, the headers cost more
/// than they save), and never gRPC, images (but SVG) or event streams, as tower-http's
/// `DefaultPredicate`. A unit struct rather than that predicate, which is 168 bytes of
/// strings the service would copy on every request and the response future would carry.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompressWhen;

impl Predicate for CompressWhen {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &Response<B>) -> bool {
        SizeAbove::new(1024).should_compress(response)
            && NotForContentType::GRPC.should_compress(response)
            && NotForContentType::IMAGES.should_compress(response)
            && NotForContentType::SSE.should_compress(response)
    }
}

pin_project! {
    /// The answer to one request, then its headers, metrics and log line.
    pub struct StackFuture<F> {
        #[pin]
        answer: Answer<F>,
        finish: Option<Finish>,
    }
}

impl<F> StackFuture<F> {
    pub(super) fn new(answer: Answer<F>, finish: Finish) -> Self {
        Self {
            answer,
            finish: Some(finish),
        }
    }
}

impl<F> Future for StackFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (response, id) = match this.answer.project() {
            AnswerProj::Ready { response, id } => (response.take(), id.take()),
            AnswerProj::Routed { mut future } => {
                let response = ready!(future.as_mut().poll(cx));
                (Some(response), future.take_value())
            }
        };
        let (Some(response), Some(id), Some(finish)) = (response, id, this.finish.take()) else {
            panic!("StackFuture polled after completion");
        };
        Poll::Ready(Ok(finish.respond(response, id)))
    }
}

pin_project! {
    #[project = AnswerProj]
    pub(super) enum Answer<F> {
        /// The stack answered without the router: a preflight, a refusal, a panic while
        /// routing.
        Ready { response: Option<Response>, id: Option<CorrelationId> },
        /// The router's future, with the request id set while it runs (and taken back
        /// for the response header when it is done).
        Routed { #[pin] future: TaskLocalFuture<CorrelationId, Guarded<F>> },
    }
}

impl<F> Answer<F> {
    pub(super) fn ready(response: Response, id: CorrelationId) -> Self {
        Self::Ready {
            response: Some(response),
            id: Some(id),
        }
    }
}

pin_project! {
    /// The router's future under the panic guard (a generic 500) and the deadline (503,
    /// never 408); axum's empty 405 becomes the envelope.
    pub(super) struct Guarded<F> {
        #[pin]
        call: RouterCall<F>,
        // The timer and the limit it was set to (for the 503's sentence).
        deadline: Option<(Pin<Box<Sleep>>, Duration)>,
    }
}

impl<F> Guarded<F> {
    /// `limit` of `None`: no deadline (probes answer fast or not at all).
    pub(super) fn new(call: RouterCall<F>, limit: Option<Duration>) -> Self {
        Self {
            call,
            deadline: limit.map(|limit| (Box::pin(tokio::time::sleep(limit)), limit)),
        }
    }
}

impl<F> Future for Guarded<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        let mut this = self.project();
        let response =
            match std::panic::catch_unwind(AssertUnwindSafe(|| this.call.as_mut().poll(cx))) {
                Ok(Poll::Ready(response)) => response,
                Ok(Poll::Pending) => {
                    let passed = this.deadline.as_mut().and_then(|(sleep, limit)| {
                        sleep.as_mut().poll(cx).is_ready().then_some(*limit)
                    });
                    return match passed {
                        Some(limit) => Poll::Ready(deadline_passed(limit)),
                        None => Poll::Pending,
                    };
                }
                Err(payload) => panic_response(payload),
            };
        Poll::Ready(if response.status() == StatusCode::METHOD_NOT_ALLOWED {
            method_not_allowed_envelope(response)
        } else {
            response
        })
    }
}

fn deadline_passed(limit: Duration) -> Response {
    ApiError::unavailable(format!(
        "The request did not complete within the server's deadline of {} ms",
        limit.as_millis()
    ))
    .into_response()
}

pin_project! {
    /// The router's future, through compression when the client accepts an encoding.
    #[project = RouterCallProj]
    pub(super) enum RouterCall<F> {
        Plain { #[pin] future: F },
        Compressed { #[pin] future: CompressionFuture<F, CompressWhen> },
    }
}

impl<F> Future for RouterCall<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Response;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        match self.project() {
            RouterCallProj::Plain { future } => future.poll(cx).map(|Ok(response)| response),
            RouterCallProj::Compressed { future } => {
                future.poll(cx).map(|Ok(response)| response.map(Body::new))
            }
        }
    }
}
