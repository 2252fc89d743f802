//! What every service answers: service info, probes, the OpenAPI document and its
//! agreement with the routes.

use crate::helpers::TestApp;
use crate::sqlite_only;

sqlite_only!(service_info_and_openapi_are_served);

async fn service_info_and_openapi_are_served(app: TestApp) {
    let info = app.get("/").await;
    assert_eq!(info.body["data"]["service"], "documentation-api");
    assert_eq!(info.body["data"]["endpoints"]["systems"], "/api/v1/systems");
    let json = app.get("/openapi.json").await;
    assert_eq!(json.body["openapi"], "3.1.0");
    let ready = app.get("/ready").await;
    assert_eq!(ready.status.as_u16(), 200, "{}", ready.text);
    let health = app.get("/health").await;
    assert_eq!(health.body["checks"]["database"]["status"], "healthy");
}

#[test]
fn every_route_is_documented_and_every_documented_route_is_routed() {
    shared::testing::assert_routes_documented(
        &documentation_api::openapi(),
        documentation_api::api_routes().table(),
    );
}
