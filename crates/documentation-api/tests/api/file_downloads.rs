//! Downloads: the very bytes, their headers, ETag revalidation, byte ranges, what counts
//! as a download, and private files with auth on.

use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::file_support::{PNG, sha256};
use crate::helpers::{Backend, TestApp, spawn_with};

both_backends!(
    downloads_are_the_stored_bytes,
    ranges_and_revalidation,
    only_whole_downloads_count,
    metadata_update_and_delete,
);

async fn downloads_are_the_stored_bytes(app: TestApp) {
    let bytes: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let file = app.upload_one("relatório final.txt", &bytes, &[]).await;
    let id = file["id"].as_str().expect("id");
    let etag = format!("\"{}\"", sha256(&bytes));
    for path in [
        format!("/api/v1/files/{id}"),
        format!("/api/v1/files/{id}/download"),
    ] {
        let got = app
            .raw(Method::GET, &path, &[("accept-encoding", "gzip, br")])
            .await;
        assert_eq!(got.status, 200);
        assert_eq!(got.bytes, bytes, "byte for byte");
        assert_eq!(
            got.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(got.header("content-length"), Some("5000"));
        assert_eq!(
            got.header("content-encoding"),
            None,
            "bytes are never compressed"
        );
        assert_eq!(got.header("etag"), Some(etag.as_str()));
        assert_eq!(got.header("accept-ranges"), Some("bytes"));
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        let disposition = got.header("content-disposition").expect("disposition");
        assert!(
            disposition.ends_with(
                "filename=\"relat_rio final.txt\"; filename*=UTF-8''relat%C3%B3rio%20final.txt"
            ),
            "{disposition}"
        );
        let expected = if path.ends_with("/download") {
            "attachment;"
        } else {
            "inline;"
        };
        assert!(disposition.starts_with(expected), "{disposition}");
    }
    let svg = app
        .upload_one(
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            &[],
        )
        .await;
    let got = app
        .raw(
            Method::GET,
            &format!("/api/v1/files/{}", svg["id"].as_str().expect("id")),
            &[],
        )
        .await;
    assert_eq!(
        got.header("content-type"),
        Some("image/svg+xml; charset=utf-8")
    );
    assert!(
        got.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment;"))
    );
    let png = app.upload_one("p.png", PNG, &[]).await;
    let got = app
        .raw(
            Method::GET,
            &format!("/api/v1/files/{}", png["id"].as_str().expect("id")),
            &[],
        )
        .await;
    assert_eq!(
        (got.header("content-type"), got.bytes.as_slice()),
        (Some("image/png"), PNG)
    );

    for missing in ["not-a-uuid", "01936f5e-0000-7000-8000-000000000000"] {
        for suffix in ["", "/download", "/metadata"] {
            let reply = app.get(&format!("/api/v1/files/{missing}{suffix}")).await;
            reply.envelope(404, "NOT_FOUND");
            assert_eq!(reply.body["error"], "File not found");
        }
    }
}

async fn ranges_and_revalidation(app: TestApp) {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(2000).collect();
    let bytes = bytes.iter().map(|b| b'a' + b % 26).collect::<Vec<u8>>();
    let file = app.upload_one("r.txt", &bytes, &[]).await;
    let path = format!("/api/v1/files/{}", file["id"].as_str().expect("id"));
    let etag = format!("\"{}\"", file["checksum"].as_str().expect("checksum"));

    let part = app
        .raw(Method::GET, &path, &[("range", "bytes=10-19")])
        .await;
    assert_eq!(part.status, 206);
    assert_eq!(part.bytes, &bytes[10..20]);
    assert_eq!(part.header("content-range"), Some("bytes 10-19/2000"));
    assert_eq!(part.header("content-length"), Some("10"));
    let tail = app.raw(Method::GET, &path, &[("range", "bytes=-5")]).await;
    assert_eq!((tail.status, tail.bytes.as_slice()), (206, &bytes[1995..]));
    let open = app
        .raw(
            Method::GET,
            &format!("{path}/download"),
            &[("range", "bytes=1990-")],
        )
        .await;
    assert_eq!(open.header("content-range"), Some("bytes 1990-1999/2000"));
    assert_eq!(open.bytes, &bytes[1990..]);
    let past = app
        .raw(Method::GET, &path, &[("range", "bytes=2000-2100")])
        .await;
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range"), Some("bytes */2000"));
    let several = app
        .raw(Method::GET, &path, &[("range", "bytes=0-1,5-6")])
        .await;
    assert_eq!(
        (several.status, several.bytes.len()),
        (200, 2000),
        "several ranges: all"
    );
    let stale = app
        .raw(
            Method::GET,
            &path,
            &[("range", "bytes=0-1"), ("if-range", "\"other\"")],
        )
        .await;
    assert_eq!(
        stale.status, 200,
        "If-Range that does not match: everything"
    );
    let fresh = app
        .raw(
            Method::GET,
            &path,
            &[("range", "bytes=0-1"), ("if-range", etag.as_str())],
        )
        .await;
    assert_eq!((fresh.status, fresh.bytes.as_slice()), (206, &bytes[..2]));

    let same = app
        .raw(Method::GET, &path, &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(same.status, 304);
    assert!(same.bytes.is_empty());
    assert_eq!(same.header("etag"), Some(etag.as_str()));
    let changed = app
        .raw(Method::GET, &path, &[("if-none-match", "\"nope\"")])
        .await;
    assert_eq!(changed.status, 200);
}

async fn only_whole_downloads_count(app: TestApp) {
    let file = app.upload_one("c.txt", b"count me", &[]).await;
    let id = file["id"].as_str().expect("id");
    let path = format!("/api/v1/files/{id}");
    let etag = format!("\"{}\"", sha256(b"count me"));
    app.raw(Method::GET, &path, &[("range", "bytes=0-1")]).await;
    app.raw(Method::GET, &path, &[("if-none-match", etag.as_str())])
        .await;
    let head = app.raw(Method::HEAD, &path, &[]).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("8"));
    let meta = app.get(&format!("{path}/metadata")).await;
    assert_eq!(
        meta.body["data"]["download_count"], 0,
        "ranges, 304s and HEADs do not count"
    );
    assert_eq!(app.audit_of(id).await.len(), 1);

    app.raw(Method::GET, &path, &[("x-user-id", "reader")])
        .await;
    app.raw(Method::GET, &format!("{path}/download"), &[]).await;
    let meta = app.get(&format!("{path}/metadata")).await;
    assert_eq!(meta.body["data"]["download_count"], 2);
    let audit = app.audit_of(id).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|a| a["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions, ["download", "download", "create"]);
    assert_eq!(audit[1]["user_id"], "reader");
    assert_eq!(audit[1]["changes"]["after"], json!({"download_count": 1}));
}

async fn metadata_update_and_delete(app: TestApp) {
    let file = app
        .upload_one("m.md", b"# M", &[("description", "first")])
        .await;
    let id = file["id"].as_str().expect("id");
    let meta = app.get(&format!("/api/v1/files/{id}/metadata")).await;
    let data = &meta.body["data"];
    for key in [
        "id",
        "idea_id",
        "filename",
        "original_name",
        "mime_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ] {
        assert!(data.get(key).is_some(), "{key}: {}", meta.text);
    }
    assert_eq!(data["size"], 3);
    assert_eq!(data["uploaded_at"], file["created_at"]);
    assert_eq!(data["checksum"], file["checksum"]);

    let path = format!("/api/v1/files/{id}");
    let updated = app
        .json(
            Method::PUT,
            &path,
            json!({"is_public": true, "description": "second", "download_count": 99}),
        )
        .await;
    assert_eq!(updated.status.as_u16(), 200, "{}", updated.text);
    assert_eq!(
        updated.body["message"],
        "File metadata updated successfully"
    );
    assert_eq!(updated.body["data"]["is_public"], true);
    assert_eq!(
        updated.body["data"]["download_count"], 0,
        "server-set, ignored"
    );
    let missing = "01936f5e-0000-7000-8000-000000000000";
    for (body, field) in [
        (json!({"is_public": "false"}), "is_public"),
        (json!({"owner": "x"}), "owner"),
        (json!({"system_id": missing}), "system_id"),
        (json!({"idea_id": "nope"}), "idea_id"),
    ] {
        let refused = app.json(Method::PUT, &path, body).await;
        refused.envelope(400, "VALIDATION_ERROR");
        assert_eq!(refused.error_fields(), [field]);
    }
    let empty = app.json(Method::PUT, &path, json!({})).await;
    empty.envelope(400, "VALIDATION_ERROR");
    assert_eq!(empty.body["error"], "No valid fields to update");
    let same = app
        .json(Method::PUT, &path, json!({"is_public": true}))
        .await;
    assert_eq!(same.status.as_u16(), 200);
    assert_eq!(
        app.audit_of(id).await.len(),
        2,
        "create and one real update"
    );
    app.json(
        Method::PUT,
        &format!("/api/v1/files/{missing}"),
        json!({"is_public": true}),
    )
    .await
    .envelope(404, "NOT_FOUND");

    let deleted = app.delete(&path).await;
    assert_eq!(
        deleted.body,
        json!({"success": true, "message": "File deleted successfully"})
    );
    assert_eq!(
        app.file_rows().await,
        (0, 0, 3),
        "the bytes go with the file"
    );
    app.get(&path).await.envelope(404, "NOT_FOUND");
    app.delete(&path).await.envelope(404, "NOT_FOUND");
    let audit = app.audit_of(id).await;
    assert_eq!(audit[0]["action"], "delete");
    assert_eq!(
        audit[1]["changes"]["fields"],
        json!(["description", "is_public"])
    );
}

async fn private_files_need_a_token(backend: Backend) {
    let app = spawn_with(backend, &[("AUTH_TOKENS", "ci:0123456789abcdef")]).await;
    let bearer = [("authorization", "Bearer 0123456789abcdef")];
    let parts = |name: &str, public: &str| {
        vec![
            crate::file_support::file("file", name, b"data"),
            crate::file_support::text("is_public", public),
            crate::file_support::text("uploaded_by", "ignored with auth on"),
        ]
    };
    let anonymous = app
        .upload_to("/api/v1/files/upload", &parts("a.txt", "true"), &[])
        .await;
    anonymous.envelope(401, "UNAUTHORIZED");
    let public = app
        .upload_to(
            "/api/v1/files/upload",
            &parts("public.txt", "true"),
            &bearer,
        )
        .await;
    assert_eq!(public.status.as_u16(), 201, "{}", public.text);
    assert_eq!(public.body["data"]["uploaded_by"], "ci", "the token's name");
    let private = app
        .upload_to(
            "/api/v1/files/upload",
            &parts("private.txt", "false"),
            &bearer,
        )
        .await;
    let private_id = private.body["data"]["id"].as_str().expect("id").to_string();

    let names = |reply: &shared::testing::Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["original_name"].as_str().expect("name").to_string())
            .collect()
    };
    let seen = app
        .get("/api/v1/files?order_by=original_name&order_direction=asc")
        .await;
    assert_eq!(names(&seen), ["public.txt"]);
    assert_eq!(seen.body["pagination"]["total"], 1);
    assert_eq!(
        names(&app.get("/api/v1/files?is_public=false").await),
        Vec::<String>::new()
    );
    let stats = app.get("/api/v1/files/stats").await;
    assert_eq!(stats.body["data"]["total"], 1);
    for suffix in ["", "/download", "/metadata"] {
        app.get(&format!("/api/v1/files/{private_id}{suffix}"))
            .await
            .envelope(404, "NOT_FOUND");
    }
    let with_token = app
        .raw(Method::GET, &format!("/api/v1/files/{private_id}"), &bearer)
        .await;
    assert_eq!(
        (with_token.status, with_token.bytes.as_slice()),
        (200, &b"data"[..])
    );
    let listed = app
        .send(
            app.request(
                Method::GET,
                "/api/v1/files?order_by=original_name&order_direction=asc",
            )
            .header("authorization", "Bearer 0123456789abcdef"),
        )
        .await;
    assert_eq!(names(&listed), ["private.txt", "public.txt"]);
    // The search over everything hides them from anonymous callers too.
    let search = app.get("/api/v1/stats/search?q=.txt").await;
    let found: Vec<&str> = search.body["data"]["results"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["original_name"].as_str().expect("name"))
        .collect();
    assert_eq!(found, ["public.txt"], "{}", search.text);
    let with_token = app
        .send(
            app.request(Method::GET, "/api/v1/stats/search?q=.txt")
                .header("authorization", "Bearer 0123456789abcdef"),
        )
        .await;
    assert_eq!(
        with_token.body["data"]["results"]["files"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn private_files_need_a_token_sqlite() {
    private_files_need_a_token(Backend::Sqlite).await;
}

#[tokio::test]
async fn private_files_need_a_token_postgres() {
    private_files_need_a_token(Backend::Postgres).await;
}
