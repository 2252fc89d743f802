-- The single change counter becomes 64, summed by readers. Every write used to update
-- the one row, so every writer queued on its lock; now each write bumps the counter of
-- its connection (pg_backend_pid() % 64) in the statement that writes its audit row.
-- The sum still grows by one with every committed write, from any instance.
ALTER TABLE workspace_changes DROP CONSTRAINT IF EXISTS workspace_changes_id_check;
ALTER TABLE workspace_changes ADD CONSTRAINT workspace_changes_id_check CHECK (id BETWEEN 0 AND 63);
INSERT INTO workspace_changes (id, version)
    SELECT counter, 0 FROM generate_series(0, 63) AS counter
    ON CONFLICT (id) DO NOTHING;
