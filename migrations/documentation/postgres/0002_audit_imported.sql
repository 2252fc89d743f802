-- `documentation-api import` records every row it brings over from the Node original
-- with the action `imported` (docs/decisions.md#d28).
ALTER TABLE documentation_audit_log DROP CONSTRAINT IF EXISTS documentation_audit_log_action_check;
ALTER TABLE documentation_audit_log ADD CONSTRAINT documentation_audit_log_action_check
    CHECK (action IN ('create', 'update', 'delete', 'download', 'status_change', 'imported'));
