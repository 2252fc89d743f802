-- `workspace-api import` records every row it brings over from the Node originals with
-- the action `imported` (docs/decisions.md#d28). SQLite's table has no CHECK on action.
-- TimescaleDB versions that refuse constraint changes on a hypertable with compression
-- enabled leave the old CHECK in place with a warning, rather than stop the service from
-- starting; the import then stops on its first audit row and says so (see D28).
DO $$
BEGIN
    ALTER TABLE workspace_audit_log DROP CONSTRAINT IF EXISTS workspace_audit_log_action_check;
    ALTER TABLE workspace_audit_log ADD CONSTRAINT workspace_audit_log_action_check
        CHECK (action IN ('created', 'updated', 'deleted', 'status_changed', 'imported'));
EXCEPTION WHEN feature_not_supported THEN
    RAISE WARNING 'workspace_audit_log: the action check could not be widened (%); import needs it', SQLERRM;
END
$$;
