-- `documentation-api import` records every row it brings over from the Node original
-- with the action `imported` (docs/decisions.md#d28). SQLite cannot change a CHECK in
-- place: the table is rebuilt with the wider one, rows and indexes as they were.
CREATE TABLE documentation_audit_log_next (
    id          TEXT PRIMARY KEY,
    entity_type TEXT NOT NULL CHECK (entity_type IN ('system', 'idea', 'file')),
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'download', 'status_change', 'imported')),
    user_id     TEXT NOT NULL,
    changes     TEXT,
    ip_address  TEXT,
    user_agent  TEXT,
    request_id  TEXT,
    created_at  INTEGER NOT NULL
) STRICT;
INSERT INTO documentation_audit_log_next (id, entity_type, entity_id, action, user_id, changes, ip_address, user_agent, request_id, created_at)
    SELECT id, entity_type, entity_id, action, user_id, changes, ip_address, user_agent, request_id, created_at
    FROM documentation_audit_log;
DROP TABLE documentation_audit_log;
ALTER TABLE documentation_audit_log_next RENAME TO documentation_audit_log;
CREATE INDEX IF NOT EXISTS documentation_audit_entity_idx ON documentation_audit_log (entity_type, entity_id, created_at DESC);
CREATE INDEX IF NOT EXISTS documentation_audit_created_idx ON documentation_audit_log (created_at DESC);
