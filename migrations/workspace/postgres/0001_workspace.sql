-- Workspace schema for PostgreSQL / TimescaleDB. Hypertables, compression and retention
-- are applied by the service after this migration, only where TimescaleDB offers them.

CREATE TABLE IF NOT EXISTS workspace_categories (
    name          TEXT PRIMARY KEY CHECK (name ~ '^[a-z0-9-]{1,100}$'),
    display_name  TEXT NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    description   TEXT,
    color         TEXT NOT NULL DEFAULT '#6B7280' CHECK (color ~ '^#[0-9A-Fa-f]{6}$'),
    icon          TEXT,
    display_order BIGINT NOT NULL DEFAULT 0 CHECK (display_order >= 0),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT
);

-- Partitioned by month on created_at when TimescaleDB is present, hence the composite
-- primary key; no foreign key points into this table.
CREATE TABLE IF NOT EXISTS workspace_items (
    id          UUID NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('new', 'review', 'in-progress', 'completed', 'rejected')),
    tags        TEXT[] NOT NULL DEFAULT '{}',
    metadata    JSONB NOT NULL DEFAULT '{}',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT,
    updated_by  TEXT,
    PRIMARY KEY (id, created_at)
);
CREATE INDEX IF NOT EXISTS workspace_items_category_idx ON workspace_items (category);
CREATE INDEX IF NOT EXISTS workspace_items_created_idx ON workspace_items (created_at DESC);

CREATE TABLE IF NOT EXISTS workspace_audit_log (
    id             UUID NOT NULL,
    entity_type    TEXT NOT NULL CHECK (entity_type IN ('item', 'category')),
    entity_id      TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'status_changed')),
    old_values     JSONB,
    new_values     JSONB,
    changed_fields TEXT[] NOT NULL DEFAULT '{}',
    actor          TEXT NOT NULL,
    ip_address     TEXT,
    user_agent     TEXT,
    request_id     TEXT,
    changed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, changed_at)
);
CREATE INDEX IF NOT EXISTS workspace_audit_entity_idx ON workspace_audit_log (entity_type, entity_id, changed_at DESC);

-- One row; every write bumps it in its own transaction so response caches of any
-- instance sharing this database can tell they are stale.
CREATE TABLE IF NOT EXISTS workspace_changes (
    id      SMALLINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO workspace_changes (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;

INSERT INTO workspace_categories (name, display_name, description, color, display_order, created_by) VALUES
    ('documentacao',  'Documentação',        'Documentação do sistema',              '#3B82F6', 1, 'system'),
    ('coleta-dados',  'Coleta de Dados',     'Coleta e ingestão de dados',           '#10B981', 2, 'system'),
    ('banco-dados',   'Banco de Dados',      'Bancos de dados e armazenamento',      '#8B5CF6', 3, 'system'),
    ('analise-dados', 'Análise de Dados',    'Análise e processamento de dados',     '#F59E0B', 4, 'system'),
    ('gestao-riscos', 'Gestão de Riscos',    'Gestão de riscos e conformidade',      '#EF4444', 5, 'system'),
    ('dashboard',     'Dashboard',           'Interface e visualização',             '#06B6D4', 6, 'system')
ON CONFLICT (name) DO NOTHING;
