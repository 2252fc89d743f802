-- The core trading schema: signals, executions and performance metrics. Applied by
-- scripts/init-database.sh as the admin role, in the trading schema (search_path), after
-- which maintenance.sql adds compression and retention. Safe to run again.
--
-- On TimescaleDB each table becomes a hypertable; on plain PostgreSQL the step is skipped
-- with a notice and the tables work as ordinary ones. A hypertable's unique indexes must
-- include its partitioning column, so every key here carries the timestamp.

CREATE TABLE IF NOT EXISTS trading_signals (
    id          UUID        NOT NULL DEFAULT gen_random_uuid(),
    signal_id   TEXT        NOT NULL,
    source      TEXT        NOT NULL,
    symbol      TEXT        NOT NULL,
    direction   TEXT        NOT NULL CHECK (direction IN ('BUY', 'SELL', 'HOLD')),
    confidence  NUMERIC(5, 2) CHECK (confidence BETWEEN 0 AND 100),
    payload     JSONB,
    created_at  TIMESTAMPTZ NOT NULL,
    ingested_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (id, created_at),
    -- A signal delivered twice is one signal.
    UNIQUE (signal_id, created_at)
);
CREATE INDEX IF NOT EXISTS trading_signals_symbol_idx ON trading_signals (symbol, created_at DESC);

CREATE TABLE IF NOT EXISTS executions (
    id          UUID           NOT NULL DEFAULT gen_random_uuid(),
    order_id    TEXT           NOT NULL,
    symbol      TEXT           NOT NULL,
    side        TEXT           NOT NULL CHECK (side IN ('BUY', 'SELL')),
    price       NUMERIC(18, 6) NOT NULL CHECK (price >= 0),
    quantity    NUMERIC(18, 6) NOT NULL CHECK (quantity > 0),
    status      TEXT           NOT NULL,
    created_at  TIMESTAMPTZ    NOT NULL,
    ingested_at TIMESTAMPTZ    NOT NULL DEFAULT NOW(),
    PRIMARY KEY (id, created_at)
);
CREATE INDEX IF NOT EXISTS executions_symbol_idx ON executions (symbol, created_at DESC);
CREATE INDEX IF NOT EXISTS executions_order_idx ON executions (order_id, created_at DESC);

CREATE TABLE IF NOT EXISTS performance_metrics (
    bucket TIMESTAMPTZ NOT NULL,
    metric TEXT        NOT NULL,
    value  NUMERIC     NOT NULL,
    tags   JSONB       NOT NULL DEFAULT '{}',
    PRIMARY KEY (bucket, metric)
);

-- Hypertables where TimescaleDB is installed (each step on its own, skipped with a notice
-- when it fails, so one table's problem never blocks the others).
DO $$
DECLARE
    step RECORD;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RAISE NOTICE 'skipped: hypertables (TimescaleDB is not installed; plain tables)';
        RETURN;
    END IF;
    FOR step IN
        SELECT * FROM (VALUES
            ('trading_signals', 'created_at', INTERVAL '7 days'),
            ('executions', 'created_at', INTERVAL '7 days'),
            ('performance_metrics', 'bucket', INTERVAL '1 day')
        ) AS t(tbl, time_column, chunk)
    LOOP
        BEGIN
            PERFORM create_hypertable(
                format('%I.%I', current_schema(), step.tbl)::regclass, step.time_column,
                chunk_time_interval => step.chunk, if_not_exists => TRUE, migrate_data => TRUE);
            RAISE NOTICE 'applied: % is a hypertable on %', step.tbl, step.time_column;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'skipped: % hypertable (%)', step.tbl, SQLERRM;
        END;
    END LOOP;
END
$$;

-- The hourly job of maintenance.sql writes the day's signal count here; TimescaleDB
-- calls a job's procedure with (job_id, config), under the owner's default search_path,
-- so the procedure keeps the one it was created with.
CREATE OR REPLACE PROCEDURE refresh_signal_stats(job_id INT, config JSONB)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO performance_metrics (bucket, metric, value)
    SELECT date_trunc('day', now()), 'signals_count_daily', COUNT(*)
    FROM trading_signals
    WHERE created_at >= date_trunc('day', now())
    ON CONFLICT (bucket, metric) DO UPDATE SET value = EXCLUDED.value;
END
$$;
