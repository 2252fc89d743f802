-- The sync's own state: one row per stream. Compatible with the seed's table
-- (backend/data/timescaledb/schema.sql), which may already exist in the target database.
CREATE TABLE IF NOT EXISTS sync_control (
    stream      TEXT PRIMARY KEY,
    last_synced TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- A stream that ran but never copied a row has no watermark yet, only a last run.
ALTER TABLE sync_control ALTER COLUMN last_synced DROP NOT NULL;

ALTER TABLE sync_control
    ADD COLUMN IF NOT EXISTS last_run_at     TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS last_run_status TEXT,
    ADD COLUMN IF NOT EXISTS last_run_rows   BIGINT,
    ADD COLUMN IF NOT EXISTS last_success_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS last_error      TEXT;
