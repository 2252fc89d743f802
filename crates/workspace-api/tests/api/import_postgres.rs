//! `workspace-api import --from postgres://…`: the schema actually deployed
//! (`tools/compose/init-workspace-schema.sql`: SERIAL ids, `text[]` tags, categories with
//! `display_name` and `sort_order`) and the TimescaleDB variant's UUID ids with tags as
//! JSON, each in a source schema of its own, imported into both backends.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::import::{import, imported_audit_rows, items};

const DEPLOYED: &str = "
CREATE TABLE workspace_categories (
    name VARCHAR(100) PRIMARY KEY, display_name VARCHAR(200) NOT NULL, description TEXT,
    is_active BOOLEAN DEFAULT true, sort_order INTEGER DEFAULT 0,
    created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW());
CREATE TABLE workspace_items (
    id SERIAL PRIMARY KEY, title TEXT NOT NULL, description TEXT,
    category TEXT NOT NULL REFERENCES workspace_categories(name) ON DELETE RESTRICT,
    priority TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    status TEXT NOT NULL CHECK (status IN ('new', 'review', 'in-progress', 'completed', 'rejected')),
    tags TEXT[] DEFAULT '{}', metadata JSONB DEFAULT '{}',
    created_at TIMESTAMPTZ DEFAULT NOW(), updated_at TIMESTAMPTZ DEFAULT NOW(),
    created_by TEXT, updated_by TEXT);
INSERT INTO workspace_categories (name, display_name, description, is_active, sort_order) VALUES
    ('documentacao', 'Documentação', NULL, true, 1), ('coleta-dados', 'Coleta de Dados', NULL, true, 2),
    ('banco-dados', 'Banco de Dados', NULL, true, 3), ('analise-dados', 'Análise de Dados', NULL, true, 4),
    ('gestao-riscos', 'Gestão de Riscos', NULL, false, 5), ('dashboard', 'Dashboard', NULL, true, 6),
    ('pesquisa', 'Pesquisa', 'Trabalho exploratório', true, 7);
INSERT INTO workspace_items (title, description, category, priority, status, tags, metadata, created_at, updated_at, created_by, updated_by) VALUES
    ('Coletar ticks', 'Da B3', 'coleta-dados', 'high', 'review', ARRAY['b3','ticks'], '{\"estimated_hours\": 8}',
     '2025-10-01 12:00:00.123456+00', '2025-10-02 13:00:00.654321+00', 'system', 'ana'),
    ('Sem descrição', NULL, 'pesquisa', 'low', 'completed', NULL, NULL,
     '2025-10-03 08:00:00+00', '2025-10-03 08:00:00+00', NULL, NULL);
";

const UUID_VARIANT: &str = "
CREATE TABLE workspace_items (
    id UUID NOT NULL, title VARCHAR(255) NOT NULL, description TEXT, category VARCHAR(50),
    priority VARCHAR(10) DEFAULT 'medium', status VARCHAR(20) DEFAULT 'new', tags JSONB DEFAULT '[]',
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_by VARCHAR(100), updated_by VARCHAR(100), metadata JSONB DEFAULT '{}',
    PRIMARY KEY (id, created_at));
INSERT INTO workspace_items (id, title, description, category, priority, status, tags, created_at, updated_at, created_by) VALUES
    ('6f1c2b6e-3d4a-4c5b-9e8f-0a1b2c3d4e5f', 'Risco de margem', 'Limites', 'gestao-riscos', 'critical', 'new',
     '[\"risco\", \"margem\"]', '2025-09-01 00:00:00.5+00', '2025-09-02 00:00:00+00', 'system');
";

/// A schema of the test server holding `ddl`, as a URL for `--from`.
async fn source(ddl: &str) -> String {
    let schema = shared::testing::fresh_schema("src").await;
    let pool = sqlx::PgPool::connect(&schema.url).await.expect("source");
    sqlx::raw_sql(sqlx::AssertSqlSafe(ddl.to_string()))
        .execute(&pool)
        .await
        .expect("source schema");
    pool.close().await;
    schema.url
}

async fn deployed_schema_with_serial_ids(app: TestApp) {
    let from = source(DEPLOYED).await;
    let summary = import(&app, &from, false).await;
    assert_eq!(summary.exit_code(), 0, "{summary:?}");
    assert_eq!(summary.counts("items").created, 2);
    // Our six seeds took the original's values where they differed (gestao-riscos was
    // switched off there); pesquisa is new.
    let categories = summary.counts("categories");
    assert_eq!(
        (categories.read, categories.created, categories.updated),
        (7, 1, 6)
    );
    let got = items(&app).await;
    assert_eq!(got.len(), 2);
    let mut first = got[0].clone();
    let id = first
        .as_object_mut()
        .expect("item")
        .remove("id")
        .expect("id");
    assert_eq!(
        first,
        json!({"title": "Coletar ticks", "description": "Da B3", "category": "coleta-dados",
            "priority": "high", "status": "review", "tags": ["b3", "ticks"],
            "metadata": {"estimated_hours": 8, "legacyId": "1"},
            "createdAt": "2025-10-01T12:00:00.123Z", "updatedAt": "2025-10-02T13:00:00.654Z",
            "createdBy": "system", "updatedBy": "ana"})
    );
    let one = app
        .get(&format!("/api/items/{}", id.as_str().expect("id")))
        .await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(got[1]["metadata"], json!({"legacyId": "2"}));
    assert_eq!(got[1]["description"], "");
    assert_eq!(got[1]["tags"], json!([]));
    let category = |name: &str| {
        let app = &app;
        let path = format!("/api/categories/{name}");
        async move { app.get(&path).await.body["data"].clone() }
    };
    let risks = category("gestao-riscos").await;
    assert_eq!(
        (&risks["is_active"], &risks["display_order"]),
        (&json!(false), &json!(5))
    );
    let research = category("pesquisa").await;
    assert_eq!(
        (
            &research["display_name"],
            &research["description"],
            &research["display_order"]
        ),
        (
            &json!("Pesquisa"),
            &json!("Trabalho exploratório"),
            &json!(7)
        )
    );

    let audit = imported_audit_rows(&app).await;
    let again = import(&app, &from, false).await;
    assert_eq!(again.counts("items").already_present, 2);
    assert_eq!(again.counts("categories").already_present, 7);
    assert_eq!(items(&app).await, got);
    assert_eq!(imported_audit_rows(&app).await, audit);
}

async fn uuid_variant_keeps_its_ids(app: TestApp) {
    let from = source(UUID_VARIANT).await;
    let summary = import(&app, &from, false).await;
    assert_eq!(summary.exit_code(), 0, "{summary:?}");
    let got: Vec<Value> = items(&app).await;
    assert_eq!(got.len(), 1);
    let id = "6f1c2b6e-3d4a-4c5b-9e8f-0a1b2c3d4e5f";
    assert_eq!(got[0]["id"], id);
    assert_eq!(got[0]["tags"], json!(["risco", "margem"]));
    assert_eq!(got[0]["metadata"], json!({}));
    assert_eq!(got[0]["createdAt"], "2025-09-01T00:00:00.500Z");
    let one = app.get(&format!("/api/items/{id}")).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["data"], got[0]);
    // The kept id can be edited like any other.
    let put = app
        .json(
            reqwest::Method::PUT,
            &format!("/api/items/{id}"),
            json!({"status": "review"}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        app.get(&format!("/api/items/{id}")).await.body["data"]["status"],
        "review"
    );
}

crate::both_backends!(deployed_schema_with_serial_ids, uuid_variant_keeps_its_ids);
