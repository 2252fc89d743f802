-- `documentation-api import` records every row it brings over from the Node original
-- with the action `imported` (docs/decisions.md#d28). TimescaleDB versions that refuse
-- constraint changes on a hypertable with compression enabled leave the old CHECK in
-- place with a warning, rather than stop the service from starting; the import then
-- stops on its first audit row and says so (see D28).
DO $$
BEGIN
    ALTER TABLE documentation_audit_log DROP CONSTRAINT IF EXISTS documentation_audit_log_action_check;
    ALTER TABLE documentation_audit_log ADD CONSTRAINT documentation_audit_log_action_check
        CHECK (action IN ('create', 'update', 'delete', 'download', 'status_change', 'imported'));
EXCEPTION WHEN feature_not_supported THEN
    RAISE WARNING 'documentation_audit_log: the action check could not be widened (%); import needs it', SQLERRM;
END
$$;
