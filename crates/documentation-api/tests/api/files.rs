//! Uploads: the size limit to the byte, types sniffed from the bytes, multi-uploads
//! with partial failures, the idea alias, the uploader, and nothing stored by a refusal.

use serde_json::json;

use crate::file_support::{ELF, PNG, file, sha256, text};
use crate::helpers::TestApp;

macro_rules! with_small_limit {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                const SMALL: &[(&str, &str)] = &[("DOCUMENTATION_MAX_UPLOAD_BYTES", "1024")];
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn_with($crate::helpers::Backend::Sqlite, SMALL).await).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::spawn_with($crate::helpers::Backend::Postgres, SMALL).await).await;
                }
            }
        )+
    };
}

with_small_limit!(
    the_limit_is_exact_and_an_oversize_upload_stores_nothing,
    types_come_from_the_bytes_not_the_name,
    multi_uploads_report_each_file,
    the_idea_alias_uploads_to_its_idea,
);
crate::both_backends!(
    uploads_check_references_and_fields,
    the_default_limit_is_ten_mebibytes
);

async fn the_limit_is_exact_and_an_oversize_upload_stores_nothing(app: TestApp) {
    let exact = vec![b'a'; 1024];
    let stored = app
        .upload_one(
            "a.txt",
            &exact,
            &[
                ("description", "exactly the limit"),
                ("uploaded_by", "maria"),
            ],
        )
        .await;
    assert_eq!(stored["size_bytes"], 1024);
    assert_eq!(stored["original_name"], "a.txt");
    assert_eq!(stored["mime_type"], "text/plain");
    assert_eq!(stored["checksum"], sha256(&exact));
    assert_eq!(stored["is_public"], false);
    assert_eq!(stored["download_count"], 0);
    assert_eq!(stored["uploaded_by"], "maria");
    assert_eq!(stored["description"], "exactly the limit");
    let id = stored["id"].as_str().expect("id");
    assert_eq!(stored["filename"], format!("{id}.txt"));
    assert!(stored.get("file_path").is_none() && stored.get("content").is_none());
    let audit = app.audit_of(id).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["action"], "create");
    assert_eq!(audit[0]["user_id"], "maria");
    assert_eq!(audit[0]["changes"]["after"]["checksum"], sha256(&exact));
    assert_eq!(app.file_rows().await, (1, 1, 1));

    let over = vec![b'a'; 1025];
    let refused = app
        .upload_to("/api/v1/files/upload", &[file("file", "b.txt", &over)], &[])
        .await;
    refused.envelope(413, "PAYLOAD_TOO_LARGE");
    assert_eq!(
        refused.body["error"],
        "File too large. Maximum size: 1024 bytes"
    );
    let refused = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[file("files", "b.txt", &over)],
            &[],
        )
        .await;
    refused.envelope(400, "NO_FILES_UPLOADED");
    assert_eq!(refused.body["errors"][0]["field"], "b.txt");
    assert_eq!(refused.body["errors"][0]["code"], "PAYLOAD_TOO_LARGE");
    assert_eq!(
        app.file_rows().await,
        (1, 1, 1),
        "nothing of a refused upload stays"
    );
}

async fn types_come_from_the_bytes_not_the_name(app: TestApp) {
    let mut elf = file("file", "report.pdf", ELF);
    elf.content_type = Some("application/pdf".into());
    let refused = app.upload_to("/api/v1/files/upload", &[elf], &[]).await;
    refused.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    assert!(
        refused.body["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("File type not allowed: application/x-executable")),
        "{}",
        refused.text
    );
    for (name, bytes) in [
        ("notes.pdf", &b"just text"[..]),
        ("page.html", &b"<html></html>"[..]),
        ("x.md", &b"bin\0ary"[..]),
        ("photo.jpg", PNG),
    ] {
        let refused = app
            .upload_to("/api/v1/files/upload", &[file("file", name, bytes)], &[])
            .await;
        refused.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    }
    assert_eq!(app.file_rows().await, (0, 0, 0));

    let mut md = file("file", "Guia de início.md", "# Título\n\nTexto.".as_bytes());
    md.content_type = Some("application/x-msdownload".into());
    let reply = app.upload_to("/api/v1/files/upload", &[md], &[]).await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.body["message"], "File uploaded successfully");
    assert_eq!(reply.body["data"]["mime_type"], "text/markdown");
    assert_eq!(reply.body["data"]["original_name"], "Guia de início.md");
    let png = app.upload_one("dir/../pixel.png", PNG, &[]).await;
    assert_eq!(png["mime_type"], "image/png");
    assert_eq!(png["original_name"], "pixel.png");
    let none = app
        .upload_to(
            "/api/v1/files/upload",
            &[text("description", "no file")],
            &[],
        )
        .await;
    none.envelope(400, "NO_FILE_UPLOADED");
    assert_eq!(none.body["error"], "No file uploaded");
    let json_body = app.post("/api/v1/files/upload", json!({"file": "x"})).await;
    json_body.envelope(415, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(app.file_rows().await.0, 2);
}

async fn multi_uploads_report_each_file(app: TestApp) {
    let good = file("files", "a.csv", b"a,b\n1,2\n");
    let bad = file("files[]", "evil.pdf", ELF);
    let reply = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[good, bad, text("is_public", "true")],
            &[("x-user-id", "joao")],
        )
        .await;
    assert_eq!(reply.status.as_u16(), 207, "{}", reply.text);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["message"], "1 file(s) uploaded successfully");
    assert_eq!(reply.body["data"][0]["original_name"], "a.csv");
    assert_eq!(
        reply.body["data"][0]["is_public"], true,
        "fields after the files count"
    );
    assert_eq!(reply.body["data"][0]["uploaded_by"], "joao");
    assert_eq!(reply.body["errors"][0]["filename"], "evil.pdf");
    assert_eq!(reply.body["errors"][0]["code"], "UNSUPPORTED_MEDIA_TYPE");
    assert!(reply.body["errors"][0]["error"].is_string());
    assert_eq!(app.file_rows().await, (1, 1, 1));

    let all_good: Vec<_> = (0..5)
        .map(|i| file("files", &format!("{i}.txt"), format!("file {i}").as_bytes()))
        .collect();
    let reply = app
        .upload_to("/api/v1/files/upload-multiple", &all_good, &[])
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    assert_eq!(reply.body["message"], "5 file(s) uploaded successfully");
    assert_eq!(reply.body["data"].as_array().map(Vec::len), Some(5));
    assert!(reply.body.get("errors").is_none());

    let six: Vec<_> = (0..6)
        .map(|i| file("files", &format!("{i}.txt"), b"x"))
        .collect();
    let reply = app
        .upload_to("/api/v1/files/upload-multiple", &six, &[])
        .await;
    reply.envelope(400, "TOO_MANY_FILES");
    assert_eq!(
        reply.body["error"],
        "Too many files. Maximum 5 files per request"
    );
    let reply = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[file("files", "x.pdf", ELF), file("files", "y.exe", b"MZ")],
            &[],
        )
        .await;
    reply.envelope(400, "NO_FILES_UPLOADED");
    assert_eq!(reply.body["error"], "No files were uploaded successfully");
    assert_eq!(reply.error_fields(), ["x.pdf", "y.exe"]);
    let reply = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[text("description", "x")],
            &[],
        )
        .await;
    reply.envelope(400, "NO_FILE_UPLOADED");
    assert_eq!(reply.body["error"], "No files uploaded");
    let reply = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[file("file", "a.txt", b"x")],
            &[],
        )
        .await;
    reply.envelope(400, "UNEXPECTED_FIELD");
    assert_eq!(app.file_rows().await, (6, 6, 6));
}

async fn the_idea_alias_uploads_to_its_idea(app: TestApp) {
    let idea = app.insert_idea("Files for this").await;
    let reply = app
        .upload_to(
            &format!("/api/v1/ideas/{idea}/files"),
            &[
                file("files[]", "spec.md", b"# Spec"),
                file("files[]", "data.json", b"{\"a\": 1}"),
                text("uploaded_by", "dashboard-user"),
            ],
            &[],
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.text);
    let data = reply.body["data"].as_array().expect("files");
    assert!(data.iter().all(|f| f["idea_id"] == idea.as_str()));
    assert!(data.iter().all(|f| f["uploaded_by"] == "dashboard-user"));
    assert_eq!(data[1]["mime_type"], "application/json");
    let listed = app.get(&format!("/api/v1/ideas/{idea}/files")).await;
    assert_eq!(listed.body["count"], 2, "{}", listed.text);
    assert_eq!(
        listed.body["data"][0]["original_name"], "spec.md",
        "oldest first"
    );

    let missing = "01936f5e-0000-7000-8000-000000000000";
    let reply = app
        .upload_to(
            &format!("/api/v1/ideas/{missing}/files"),
            &[file("files", "a.txt", b"x")],
            &[],
        )
        .await;
    reply.envelope(404, "NOT_FOUND");
    assert_eq!(reply.body["error"], "Idea not found");
    let bad = app.get("/api/v1/ideas/not-a-uuid/files").await;
    bad.envelope(400, "VALIDATION_ERROR");
    assert_eq!(bad.error_fields(), ["id"]);
    app.get(&format!("/api/v1/ideas/{missing}/files"))
        .await
        .envelope(404, "NOT_FOUND");
    assert_eq!(app.file_rows().await, (2, 2, 2));
}

async fn uploads_check_references_and_fields(app: TestApp) {
    let missing = "01936f5e-0000-7000-8000-000000000000";
    let reply = app
        .upload_to(
            "/api/v1/files/upload",
            &[file("file", "a.txt", b"x"), text("idea_id", missing)],
            &[],
        )
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.error_fields(), ["idea_id"]);
    let reply = app
        .upload_to(
            "/api/v1/files/upload-multiple",
            &[file("files", "a.txt", b"x"), text("system_id", missing)],
            &[],
        )
        .await;
    reply.envelope(400, "VALIDATION_ERROR");
    assert_eq!(reply.error_fields(), ["system_id"]);
    let reply = app
        .upload_to(
            "/api/v1/files/upload",
            &[file("file", "a.txt", b"x"), text("idea_id", "nope")],
            &[],
        )
        .await;
    assert_eq!(reply.error_fields(), ["idea_id"]);
    assert_eq!(app.file_rows().await, (0, 0, 0));

    let system = app.create_system("Docs site").await;
    let sid = system["id"].as_str().expect("id");
    let stored = app
        .upload_one("a.txt", b"x", &[("system_id", sid), ("is_public", "yes")])
        .await;
    assert_eq!(stored["system_id"], sid);
    assert_eq!(stored["is_public"], false, "only \"true\" is public");
    assert_eq!(stored["uploaded_by"], "anonymous");
}

async fn the_default_limit_is_ten_mebibytes(app: TestApp) {
    let info = app.get("/api/v1/files/upload-info").await;
    assert_eq!(info.body["data"]["max_file_size"], 10 * 1024 * 1024);
    let big = vec![b'x'; 2 * 1024 * 1024];
    let stored = app.upload_one("big.txt", &big, &[]).await;
    assert_eq!(
        stored["size_bytes"],
        2 * 1024 * 1024,
        "past the 1 MiB JSON body limit"
    );
}
