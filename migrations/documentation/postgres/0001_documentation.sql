-- Documentation schema for PostgreSQL / TimescaleDB. Ids are UUIDv7 chosen by the
-- service; enums are checked here as well as in the service. File bytes live in their
-- own table, so that lists and metadata never read them.

CREATE TABLE IF NOT EXISTS documentation_systems (
    id               UUID PRIMARY KEY,
    name             TEXT NOT NULL,
    -- The name lower-cased by the service (all of Unicode), unique.
    name_key         TEXT NOT NULL UNIQUE,
    description      TEXT,
    type             TEXT NOT NULL CHECK (type IN ('api', 'webapp', 'docs', 'tool')),
    url              TEXT,
    status           TEXT NOT NULL DEFAULT 'unknown'
                     CHECK (status IN ('online', 'offline', 'error', 'unknown', 'maintenance')),
    last_checked     TIMESTAMPTZ,
    response_time_ms BIGINT,
    last_http_status BIGINT,
    last_message     TEXT,
    version          TEXT,
    owner            TEXT,
    tags             TEXT[] NOT NULL DEFAULT '{}',
    metadata         JSONB,
    icon             TEXT,
    color            TEXT,
    host             TEXT,
    port             BIGINT CHECK (port BETWEEN 1 AND 65535),
    created_by       TEXT,
    updated_by       TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS documentation_systems_status_idx ON documentation_systems (status);
CREATE INDEX IF NOT EXISTS documentation_systems_type_idx ON documentation_systems (type);
CREATE INDEX IF NOT EXISTS documentation_systems_owner_idx ON documentation_systems (owner);

CREATE TABLE IF NOT EXISTS documentation_ideas (
    id              UUID PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT,
    status          TEXT NOT NULL DEFAULT 'backlog'
                    CHECK (status IN ('backlog', 'todo', 'in_progress', 'review', 'done', 'cancelled')),
    category        TEXT NOT NULL CHECK (category IN ('new_feature', 'improvement', 'bug_fix', 'content',
                    'structure', 'api', 'frontend', 'backend', 'infrastructure')),
    priority        TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    assigned_to     TEXT,
    created_by      TEXT NOT NULL,
    updated_by      TEXT,
    system_id       UUID REFERENCES documentation_systems (id) ON DELETE SET NULL,
    tags            TEXT[] NOT NULL DEFAULT '{}',
    estimated_hours BIGINT,
    actual_hours    BIGINT,
    due_date        TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS documentation_ideas_status_idx ON documentation_ideas (status);
CREATE INDEX IF NOT EXISTS documentation_ideas_category_idx ON documentation_ideas (category);
CREATE INDEX IF NOT EXISTS documentation_ideas_system_idx ON documentation_ideas (system_id);
CREATE INDEX IF NOT EXISTS documentation_ideas_assigned_idx ON documentation_ideas (assigned_to);

CREATE TABLE IF NOT EXISTS documentation_files (
    id             UUID PRIMARY KEY,
    filename       TEXT NOT NULL,
    original_name  TEXT NOT NULL,
    mime_type      TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL CHECK (size_bytes >= 0),
    checksum       TEXT NOT NULL,
    description    TEXT,
    idea_id        UUID REFERENCES documentation_ideas (id) ON DELETE SET NULL,
    system_id      UUID REFERENCES documentation_systems (id) ON DELETE SET NULL,
    uploaded_by    TEXT NOT NULL,
    is_public      BOOLEAN NOT NULL DEFAULT FALSE,
    download_count BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS documentation_files_idea_idx ON documentation_files (idea_id);
CREATE INDEX IF NOT EXISTS documentation_files_system_idx ON documentation_files (system_id);
CREATE INDEX IF NOT EXISTS documentation_files_created_idx ON documentation_files (created_at DESC);

CREATE TABLE IF NOT EXISTS documentation_file_contents (
    file_id UUID PRIMARY KEY REFERENCES documentation_files (id) ON DELETE CASCADE,
    content BYTEA NOT NULL
);
-- Stored uncompressed out of line, so that a range is read without the whole value.
ALTER TABLE documentation_file_contents ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TABLE IF NOT EXISTS documentation_audit_log (
    id          UUID NOT NULL,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('system', 'idea', 'file')),
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'download', 'status_change')),
    user_id     TEXT NOT NULL,
    changes     JSONB,
    ip_address  TEXT,
    user_agent  TEXT,
    request_id  TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, created_at)
);
CREATE INDEX IF NOT EXISTS documentation_audit_entity_idx ON documentation_audit_log (entity_type, entity_id, created_at DESC);
CREATE INDEX IF NOT EXISTS documentation_audit_created_idx ON documentation_audit_log (created_at DESC);

-- The background health checker's rounds, one row: replicas on one database take the
-- round in turn under an advisory lock and skip it when another took it this interval.
CREATE TABLE IF NOT EXISTS documentation_health_rounds (
    id            SMALLINT PRIMARY KEY CHECK (id = 1),
    last_round_at TIMESTAMPTZ
);
INSERT INTO documentation_health_rounds (id, last_round_at) VALUES (1, NULL) ON CONFLICT (id) DO NOTHING;
