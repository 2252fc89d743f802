//! File lists: filters (visibility both ways), order, pagination with a true total,
//! search, the by-idea and by-system views, statistics and the upload limits.

use serde_json::json;
use shared::testing::Reply;

use crate::both_backends;
use crate::file_support::PNG;
use crate::helpers::TestApp;

both_backends!(lists_filter_order_and_paginate, views_search_and_statistics,);

fn names(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data: {}", reply.text))
        .iter()
        .map(|f| f["original_name"].as_str().expect("name").to_string())
        .collect()
}

async fn lists_filter_order_and_paginate(app: TestApp) {
    let idea = app.insert_idea("Spec").await;
    app.upload_one(
        "alpha.md",
        b"# alpha",
        &[("is_public", "true"), ("idea_id", &idea)],
    )
    .await;
    app.upload_one(
        "beta.txt",
        &[b'b'; 300],
        &[("description", "100% Beta notes")],
    )
    .await;
    app.upload_one(
        "gamma.png",
        PNG,
        &[("uploaded_by", "ana"), ("is_public", "true")],
    )
    .await;

    let all = app.get("/api/v1/files").await;
    assert_eq!(all.status.as_u16(), 200, "{}", all.text);
    assert_eq!(
        names(&all),
        ["gamma.png", "beta.txt", "alpha.md"],
        "newest first"
    );
    assert_eq!(
        all.body["pagination"],
        json!({"total": 3, "limit": 50, "offset": 0})
    );
    let page = app
        .get("/api/v1/files?limit=1&offset=1&order_by=original_name&order_direction=asc")
        .await;
    assert_eq!(names(&page), ["beta.txt"]);
    assert_eq!(
        page.body["pagination"],
        json!({"total": 3, "limit": 1, "offset": 1})
    );
    let past = app.get("/api/v1/files?limit=2&offset=10").await;
    assert_eq!(past.body["pagination"]["total"], 3);
    assert!(names(&past).is_empty());

    let private = app.get("/api/v1/files?is_public=false").await;
    assert_eq!(names(&private), ["beta.txt"], "false really means private");
    let public = app
        .get("/api/v1/files?is_public=true&order_by=size_bytes&order_direction=ASC")
        .await;
    assert_eq!(names(&public), ["alpha.md", "gamma.png"]);
    let by_idea = app.get(&format!("/api/v1/files?idea_id={idea}")).await;
    assert_eq!(names(&by_idea), ["alpha.md"]);
    assert_eq!(
        names(&app.get("/api/v1/files?uploaded_by=ana").await),
        ["gamma.png"]
    );
    assert_eq!(
        names(&app.get("/api/v1/files?mime_type=text/plain").await),
        ["beta.txt"]
    );
    assert_eq!(
        names(&app.get("/api/v1/files?search=BETA").await),
        ["beta.txt"]
    );
    assert_eq!(
        names(&app.get("/api/v1/files?search=0%25").await),
        ["beta.txt"]
    );
    assert!(
        names(&app.get("/api/v1/files?search=a_p").await).is_empty(),
        "_ is literal"
    );
    assert_eq!(
        names(&app.get("/api/v1/files?search=ALPHA.MD").await),
        ["alpha.md"]
    );
    let sized = app.get("/api/v1/files?min_size=10&max_size=299").await;
    assert_eq!(names(&sized), ["gamma.png"]);
    let future = app.get("/api/v1/files?created_from=2999-01-01").await;
    assert!(names(&future).is_empty());
    let past = app
        .get("/api/v1/files?created_to=2000-01-01T00:00:00Z")
        .await;
    assert!(names(&past).is_empty());
    let bad = app
        .get("/api/v1/files?limit=0&is_public=maybe&order_by=path&idea_id=x&min_size=-1")
        .await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        bad.error_fields(),
        ["idea_id", "is_public", "min_size", "limit", "order_by"]
    );
}

async fn views_search_and_statistics(app: TestApp) {
    let idea = app.insert_idea("Spec").await;
    let system = app.create_system("Docs").await;
    let sid = system["id"].as_str().expect("id").to_string();
    app.upload_one(
        "one.md",
        b"# one",
        &[("idea_id", &idea), ("system_id", &sid)],
    )
    .await;
    app.upload_one(
        "two.md",
        b"# two two",
        &[("idea_id", &idea), ("is_public", "true")],
    )
    .await;
    app.upload_one("three.csv", b"a,b", &[("description", "Quarterly numbers")])
        .await;

    let of_idea = app.get(&format!("/api/v1/files/idea/{idea}")).await;
    assert_eq!(names(&of_idea), ["one.md", "two.md"], "oldest first");
    assert_eq!(of_idea.body["count"], 2);
    let of_system = app.get(&format!("/api/v1/files/system/{sid}")).await;
    assert_eq!(names(&of_system), ["one.md"]);
    let missing = "01936f5e-0000-7000-8000-000000000000";
    let reply = app.get(&format!("/api/v1/files/idea/{missing}")).await;
    reply.envelope(404, "NOT_FOUND");
    assert_eq!(reply.body["error"], "Idea not found");
    let reply = app.get("/api/v1/files/system/not-a-uuid").await;
    reply.envelope(404, "NOT_FOUND");
    assert_eq!(reply.body["error"], "System not found");

    let found = app.get("/api/v1/files/search?q=quarterly").await;
    assert_eq!(names(&found), ["three.csv"]);
    assert_eq!(
        (found.body["count"].as_i64(), found.body["query"].as_str()),
        (Some(1), Some("quarterly"))
    );
    let short = app.get("/api/v1/files/search?q=a").await;
    short.envelope(400, "VALIDATION_ERROR");
    assert_eq!(
        short.body["error"],
        "Search query must be at least 2 characters long"
    );

    let stats = app.get("/api/v1/files/stats").await;
    assert_eq!(stats.status.as_u16(), 200, "{}", stats.text);
    let data = &stats.body["data"];
    assert_eq!(data["total"], 3);
    assert_eq!(data["total_size_bytes"], 5 + 9 + 3);
    assert!(data["total_size_mb"].is_number());
    assert_eq!(data["by_type"], json!({"text/csv": 1, "text/markdown": 2}));
    assert_eq!(data["by_idea"], json!({(idea.clone()): 2}));

    let statistics = app.get("/api/v1/files/statistics").await;
    let s = &statistics.body["data"];
    assert_eq!(s["total"], 3);
    assert_eq!(s["total_size"], 17);
    assert_eq!(s["total_downloads"], 0);
    assert_eq!(s["by_uploader"], json!({"anonymous": 3}));
    assert_eq!(s["by_visibility"]["public"], json!({"count": 1, "size": 9}));
    assert_eq!(
        s["by_visibility"]["private"],
        json!({"count": 2, "size": 8})
    );
    assert_eq!(
        s["size_distribution"],
        json!({"small": 3, "medium": 0, "large": 0, "xlarge": 0})
    );
    assert_eq!(s["storage_efficiency"]["small_files_percentage"], 100);
    assert_eq!(s["downloads_per_file"], 0.0);

    let info = app.get("/api/v1/files/upload-info").await;
    let d = &info.body["data"];
    assert_eq!(d["max_files_per_request"], 5);
    assert!(
        d["allowed_types"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("text/markdown")))
    );
    assert!(
        d["allowed_extensions"]
            .as_array()
            .is_some_and(|t| t.contains(&json!(".pdf")))
    );
    assert!(
        !d["allowed_types"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("text/html")))
    );
}
