//! Health checks of registered systems against a local server that answers, fails,
//! hangs and redirects; the deadline of `health-check-all`; the background rounds, one
//! per interval however many instances share the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{StatusCode as AxumStatus, header};
use axum::response::IntoResponse;
use axum::routing::get;
use documentation_api::service::Rounds;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn, spawn_with, state_sharing};

/// A local server: `/up` 200, `/fail` 500, `/hang` never answers, `/loop` redirects to
/// itself, `/hop/{n}` redirects n times then lands on `/up`, `/metadata` redirects to the
/// cloud metadata address; `hits` counts requests to `/up`.
async fn target() -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new()
        .route(
            "/up",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { "ok" }
            }),
        )
        .route("/fail", get(|| async { AxumStatus::INTERNAL_SERVER_ERROR }))
        .route("/hang", get(std::future::pending::<&'static str>))
        .route("/loop", get(|| async { redirect("/loop") }))
        .route(
            "/hop/{n}",
            get(
                |axum::extract::Path(n): axum::extract::Path<u32>| async move {
                    if n == 0 {
                        redirect("/up")
                    } else {
                        redirect(&format!("/hop/{}", n - 1))
                    }
                },
            ),
        )
        .route(
            "/metadata",
            get(|| async { redirect("http://169.254.169.254/latest/meta-data") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hits)
}

fn redirect(to: &str) -> axum::response::Response {
    (AxumStatus::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

async fn register(app: &TestApp, name: &str, url: &str) -> String {
    let reply = app
        .post("/api/v1/systems", json!({"name": name, "url": url}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["data"]["id"].as_str().expect("id").to_string()
}

async fn check(app: &TestApp, id: &str) -> Value {
    let reply = app
        .send(app.request(Method::POST, &format!("/api/v1/systems/{id}/health")))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["message"], "Health check completed");
    reply.body["data"].clone()
}

mod checks_report_what_answered {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        run(Backend::Postgres).await;
    }

    async fn run(backend: Backend) {
        let app = spawn_with(backend, &[("DOCUMENTATION_HEALTH_CHECK_TIMEOUT_MS", "300")]).await;
        let (base, hits) = target().await;
        let up = register(&app, "up", &format!("{base}/up")).await;
        let report = check(&app, &up).await;
        assert_eq!(report["status"], "online");
        assert_eq!(report["message"], "System is accessible");
        assert_eq!(report["http_status"], 200);
        assert!(
            report["response_time_ms"]
                .as_i64()
                .is_some_and(|ms| ms >= 0),
            "{report}"
        );
        let stored = app.get(&format!("/api/v1/systems/{up}")).await.body["data"].clone();
        assert_eq!(stored["status"], "online");
        assert_eq!(stored["last_http_status"], 200);
        assert_eq!(stored["last_checked"], report["last_checked"]);
        check(&app, &up).await;
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        let audit = app.audit_of(&up).await;
        let actions: Vec<&str> = audit
            .iter()
            .map(|a| a["action"].as_str().expect("action"))
            .collect();
        assert_eq!(
            actions,
            ["status_change", "create"],
            "a second online check changes nothing"
        );
        assert_eq!(
            audit[0]["changes"]["fields"],
            json!(["status"]),
            "the figures are observations"
        );

        let hops = register(&app, "three hops", &format!("{base}/hop/2")).await;
        assert_eq!(
            check(&app, &hops).await["status"],
            "online",
            "three redirects are followed"
        );
        for (name, path, status, message) in [
            ("fails", "/fail", "error", "HTTP 500: Internal Server Error"),
            ("hangs", "/hang", "offline", "No response within 300 ms"),
            ("loops", "/loop", "error", "More than 3 redirects"),
            ("four hops", "/hop/3", "error", "More than 3 redirects"),
            (
                "metadata",
                "/metadata",
                "error",
                "URL must not target a link-local or cloud metadata address",
            ),
        ] {
            let id = register(&app, name, &format!("{base}{path}")).await;
            let report = check(&app, &id).await;
            assert_eq!(
                (report["status"].as_str(), report["message"].as_str()),
                (Some(status), Some(message)),
                "{name}"
            );
        }
        let closed = register(&app, "closed", "http://127.0.0.1:9/").await;
        assert_eq!(check(&app, &closed).await["status"], "offline");

        let no_url = app.create_system("no url").await;
        let id = no_url["id"].as_str().expect("id");
        let report = check(&app, id).await;
        assert_eq!(report["status"], "unknown");
        assert_eq!(report["message"], "No URL configured for health check");
        assert_eq!(
            app.get(&format!("/api/v1/systems/{id}")).await.body["data"],
            no_url,
            "nothing stored"
        );

        let kept = register(&app, "in maintenance", &format!("{base}/fail")).await;
        app.json(
            Method::PUT,
            &format!("/api/v1/systems/{kept}"),
            json!({"status": "maintenance"}),
        )
        .await;
        assert_eq!(
            check(&app, &kept).await["status"],
            "error",
            "the report says what answered"
        );
        let stored = app.get(&format!("/api/v1/systems/{kept}")).await.body["data"].clone();
        assert_eq!(
            stored["status"], "maintenance",
            "maintenance is left by hand only"
        );
        assert_eq!(stored["last_message"], "HTTP 500: Internal Server Error");

        let missing = "01936f5e-0000-7000-8000-000000000000";
        let reply = app
            .send(app.request(Method::POST, &format!("/api/v1/systems/{missing}/health")))
            .await;
        reply.envelope(404, "NOT_FOUND");
    }
}

/// A TLS server on loopback with a certificate no public root vouches for.
fn tls_target() -> u16 {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from(signing_key.serialize_der());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key.into())
        .expect("server config");
    let config = Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for mut socket in listener.incoming().flatten() {
            let mut tls = rustls::ServerConnection::new(config.clone()).expect("connection");
            // The client gives up on the certificate; the server only has to try.
            let _ = tls.complete_io(&mut socket);
        }
    });
    port
}

mod https_is_spoken {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        let app = spawn(Backend::Sqlite).await;
        let port = tls_target();
        let id = register(&app, "tls", &format!("https://localhost:{port}/")).await;
        let report = check(&app, &id).await;
        assert_eq!(report["status"], "error", "{report}");
        let message = report["message"].as_str().expect("message");
        assert!(
            message.starts_with("TLS handshake failed") && message.contains("certificate"),
            "the handshake ran and judged the certificate: {message}"
        );
    }
}

mod check_all_answers_within_the_deadline {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        run(Backend::Postgres).await;
    }

    async fn run(backend: Backend) {
        let app = spawn_with(backend, &[("REQUEST_TIMEOUT_MS", "1500")]).await;
        let (base, _) = target().await;
        let up = register(&app, "up", &format!("{base}/up")).await;
        let hang = register(&app, "hangs", &format!("{base}/hang")).await;
        let started = Instant::now();
        let reply = app
            .send(app.request(Method::POST, "/api/v1/systems/health-check-all"))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(reply.body["count"], 2);
        let health_of = |id: &str| {
            reply.body["data"]
                .as_array()
                .expect("data")
                .iter()
                .find(|entry| entry["system"]["id"] == id)
                .map(|entry| entry["health"]["status"].clone())
        };
        assert_eq!(health_of(&up), Some(json!("online")));
        assert_eq!(health_of(&hang), Some(json!("skipped")));
        let metrics = app.get("/metrics").await.text;
        assert!(metrics.contains(r#"tradingsystem_docs_health_checks_total{outcome="skipped",service="documentation-api"} 1"#), "{metrics}");
        assert!(metrics.contains(r#"tradingsystem_docs_health_checks_total{outcome="online",service="documentation-api"} 1"#));
    }
}

mod rounds_run_once_per_interval_across_instances {
    use super::*;
    #[tokio::test]
    async fn sqlite() {
        run(Backend::Sqlite).await;
    }
    #[tokio::test]
    async fn postgres() {
        run(Backend::Postgres).await;
    }

    async fn run(backend: Backend) {
        let app = spawn(backend).await;
        let (base, hits) = target().await;
        register(&app, "up", &format!("{base}/up")).await;
        let paused = register(&app, "paused", &format!("{base}/up?paused")).await;
        app.json(
            Method::PUT,
            &format!("/api/v1/systems/{paused}"),
            json!({"status": "maintenance"}),
        )
        .await;
        let interval = Duration::from_millis(400);
        let replicas = [
            state_sharing(&app, &[]).await,
            state_sharing(&app, &[]).await,
        ];
        let rounds: Vec<Rounds> = replicas
            .iter()
            .map(|s| Rounds::start(s.docs.clone(), interval))
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        for r in rounds {
            r.stop().await;
        }
        // Rounds due at 0, 0.4, 0.8 and 1.2 s: four, five at most, never one per replica.
        let during = hits.load(Ordering::SeqCst);
        assert!(
            (3..=5).contains(&during),
            "{during} checks of one system by two replicas"
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(
            hits.load(Ordering::SeqCst),
            during,
            "stopped rounds check nothing"
        );
        let up = app.get("/api/v1/systems?search=up").await;
        assert_eq!(up.body["data"][0]["status"], "online");
        let audit = app
            .get("/api/v1/audit?action=status_change&user_id=health-checker")
            .await;
        assert_eq!(
            audit.body["total"], 1,
            "one status change, however many rounds"
        );
        assert_eq!(audit.body["data"][0]["user_id"], "health-checker");
        let stored = app.get(&format!("/api/v1/systems/{paused}")).await.body["data"].clone();
        assert_eq!(
            stored["last_checked"],
            json!(null),
            "systems in maintenance are left out"
        );
    }
}
