//! Ideas: writes (CRUD, rules, audit) and reads (list, kanban), with their helpers.

mod reads;
mod writes;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

const MISSING: &str = "01936f5e-0000-7000-8000-000000000000";

async fn create_idea(app: &TestApp, body: Value) -> Value {
    let reply = app.post("/api/v1/ideas", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["data"].clone()
}

fn id_of(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

fn titles(reply: &shared::testing::Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|i| i["title"].as_str().expect("title").to_string())
        .collect()
}
