//! Optional bearer / API-key auth for mutating routes (docs/decisions.md#d8), and the actor every
//! audit row records.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

use crate::config::AuthToken;
use crate::error::ApiError;

/// Who made the request: a token's name when auth is on, else `X-User-Id` or `anonymous`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    /// True when the name comes from a verified token rather than a client header.
    pub authenticated: bool,
}

impl Actor {
    pub fn anonymous() -> Self {
        Self {
            name: "anonymous".to_string(),
            authenticated: false,
        }
    }
}

/// With auth on, the gate records the verified actor on every request; with auth off it
/// records nothing and the actor is the caller's `X-User-Id`, read here when asked for.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(actor.clone());
        }
        Ok(parts
            .headers
            .get("x-user-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.chars().count() <= 100)
            .map(|name| Actor {
                name: name.to_string(),
                authenticated: false,
            })
            .unwrap_or_else(Actor::anonymous))
    }
}

/// Who and where a request came from, as audit rows record it.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub actor: String,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(actor) = Actor::from_request_parts(parts, state).await;
        Ok(Self {
            actor: actor.name,
            ip_address: parts
                .extensions
                .get::<super::ClientIp>()
                .map(|ip| ip.0.to_string()),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(500).collect()),
            request_id: crate::error::current_request_id(),
        })
    }
}

/// The configured tokens; empty means auth is off.
pub struct Auth {
    tokens: Vec<AuthToken>,
}

impl Auth {
    pub fn new(tokens: Vec<AuthToken>) -> Self {
        Self { tokens }
    }

    pub fn enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// The name of the token presented, comparing every configured token in constant time.
    fn verify(&self, headers: &HeaderMap) -> Option<&str> {
        let presented = presented_token(headers)?;
        let mut found = None;
        for candidate in &self.tokens {
            if bool::from(candidate.token.as_bytes().ct_eq(presented.as_bytes())) {
                found = Some(candidate.name.as_str());
            }
        }
        found
    }
}

fn presented_token(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    bearer.or_else(|| {
        headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    })
}

pub fn is_mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl Auth {
    /// With auth on, records the verified [`Actor`] of `req`, or refuses (401) a mutating
    /// request without a known token. With auth off, does nothing (see [`Actor`]).
    pub fn admit(&self, req: &mut Request) -> Result<(), ApiError> {
        if !self.enabled() {
            return Ok(());
        }
        let actor = match self.verify(req.headers()) {
            Some(name) => Actor {
                name: name.to_string(),
                authenticated: true,
            },
            None if is_mutating(req.method()) => return Err(ApiError::unauthorized()),
            None => Actor::anonymous(),
        };
        req.extensions_mut().insert(actor);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> Auth {
        Auth::new(vec![
            AuthToken {
                name: "dashboard".into(),
                token: "0123456789abcdef".into(),
            },
            AuthToken {
                name: "ops".into(),
                token: "fedcba9876543210".into(),
            },
        ])
    }

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            value.parse().expect("value"),
        );
        h
    }

    #[test]
    fn bearer_and_api_key_are_both_accepted() {
        let a = auth();
        assert_eq!(
            a.verify(&headers("authorization", "Bearer 0123456789abcdef")),
            Some("dashboard")
        );
        assert_eq!(
            a.verify(&headers("authorization", "bearer fedcba9876543210")),
            Some("ops")
        );
        assert_eq!(
            a.verify(&headers("x-api-key", "fedcba9876543210")),
            Some("ops")
        );
        assert_eq!(a.verify(&headers("authorization", "Bearer wrong")), None);
        assert_eq!(
            a.verify(&headers("authorization", "Basic 0123456789abcdef")),
            None
        );
        assert_eq!(a.verify(&HeaderMap::new()), None);
    }
}
