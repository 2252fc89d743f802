-- `workspace-api import` records every row it brings over from the Node originals with
-- the action `imported` (docs/decisions.md#d28). SQLite's table has no CHECK on action.
ALTER TABLE workspace_audit_log DROP CONSTRAINT IF EXISTS workspace_audit_log_action_check;
ALTER TABLE workspace_audit_log ADD CONSTRAINT workspace_audit_log_action_check
    CHECK (action IN ('created', 'updated', 'deleted', 'status_changed', 'imported'));
