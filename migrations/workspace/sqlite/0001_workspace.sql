-- Workspace schema for embedded SQLite. Timestamps are INTEGER microseconds since the
-- epoch (exact ordering); tags, metadata and audit images are JSON text.

CREATE TABLE IF NOT EXISTS workspace_categories (
    name          TEXT PRIMARY KEY,
    display_name  TEXT NOT NULL,
    description   TEXT,
    color         TEXT NOT NULL DEFAULT '#6B7280',
    icon          TEXT,
    display_order INTEGER NOT NULL DEFAULT 0 CHECK (display_order >= 0),
    is_active     INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    created_by    TEXT
) STRICT;

CREATE TABLE IF NOT EXISTS workspace_items (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    category    TEXT NOT NULL,
    priority    TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    status      TEXT NOT NULL CHECK (status IN ('new', 'review', 'in-progress', 'completed', 'rejected')),
    tags        TEXT NOT NULL DEFAULT '[]',
    metadata    TEXT NOT NULL DEFAULT '{}',
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    created_by  TEXT,
    updated_by  TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS workspace_items_category_idx ON workspace_items (category);
CREATE INDEX IF NOT EXISTS workspace_items_created_idx ON workspace_items (created_at DESC);

CREATE TABLE IF NOT EXISTS workspace_audit_log (
    id             TEXT PRIMARY KEY,
    entity_type    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    old_values     TEXT,
    new_values     TEXT,
    changed_fields TEXT NOT NULL DEFAULT '[]',
    actor          TEXT NOT NULL,
    ip_address     TEXT,
    user_agent     TEXT,
    request_id     TEXT,
    changed_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS workspace_audit_entity_idx ON workspace_audit_log (entity_type, entity_id, changed_at DESC);

CREATE TABLE IF NOT EXISTS workspace_changes (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
) STRICT;
INSERT OR IGNORE INTO workspace_changes (id, version) VALUES (1, 0);

INSERT OR IGNORE INTO workspace_categories (name, display_name, description, color, display_order, created_at, updated_at, created_by) VALUES
    ('documentacao',  'Documentação',     'Documentação do sistema',          '#3B82F6', 1, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system'),
    ('coleta-dados',  'Coleta de Dados',  'Coleta e ingestão de dados',       '#10B981', 2, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system'),
    ('banco-dados',   'Banco de Dados',   'Bancos de dados e armazenamento',  '#8B5CF6', 3, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system'),
    ('analise-dados', 'Análise de Dados', 'Análise e processamento de dados', '#F59E0B', 4, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system'),
    ('gestao-riscos', 'Gestão de Riscos', 'Gestão de riscos e conformidade',  '#EF4444', 5, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system'),
    ('dashboard',     'Dashboard',        'Interface e visualização',         '#06B6D4', 6, CAST(unixepoch('subsec') * 1000000 AS INTEGER), CAST(unixepoch('subsec') * 1000000 AS INTEGER), 'system');
