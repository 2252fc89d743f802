-- Compression and retention for the fleet's time-series tables, and the hourly signal
-- statistics job. Applied by scripts/init-database.sh after every service's migrations
-- (so the tables exist), as the admin role that owns them; safe to run again: every
-- policy is added with if_not_exists and an enabled compression is left as it is.
--
-- Each table is found by name in whichever schema holds it (the services keep their
-- tables in schemas of their own). Without TimescaleDB, or without the Timescale license
-- (Apache-only builds have no compression, retention or jobs), each step is skipped with
-- a notice naming it.
--
--   table                  compress after   keep
--   trading_signals        7 days           90 days
--   tp_capital_signals     7 days           90 days   (the sync's target; signals too)
--   executions             7 days           90 days
--   performance_metrics    7 days           180 days
--   workspace_audit_log    30 days          365 days
--   documentation_audit_log 30 days          365 days

DO $$
DECLARE
    policy RECORD;
    target RECORD;
    licensed BOOLEAN;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RAISE NOTICE 'skipped: every compression and retention policy (TimescaleDB is not installed)';
        RETURN;
    END IF;
    licensed := coalesce(current_setting('timescaledb.license', true), '') = 'timescale';
    IF NOT licensed THEN
        RAISE NOTICE 'skipped: every compression and retention policy (timescaledb.license is %, not timescale)',
            coalesce(current_setting('timescaledb.license', true), 'unset');
        RETURN;
    END IF;
    FOR policy IN
        SELECT * FROM (VALUES
            ('trading_signals', INTERVAL '7 days', INTERVAL '90 days'),
            ('tp_capital_signals', INTERVAL '7 days', INTERVAL '90 days'),
            ('executions', INTERVAL '7 days', INTERVAL '90 days'),
            ('performance_metrics', INTERVAL '7 days', INTERVAL '180 days'),
            ('workspace_audit_log', INTERVAL '30 days', INTERVAL '365 days'),
            ('documentation_audit_log', INTERVAL '30 days', INTERVAL '365 days')
        ) AS p(tbl, compress_after, keep)
    LOOP
        IF NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h WHERE h.hypertable_name = policy.tbl) THEN
            RAISE NOTICE 'skipped: % (no hypertable of that name)', policy.tbl;
            CONTINUE;
        END IF;
        FOR target IN
            SELECT h.hypertable_schema, h.hypertable_name, h.compression_enabled,
                   format('%I.%I', h.hypertable_schema, h.hypertable_name) AS qualified,
                   d.column_name AS time_column
            FROM timescaledb_information.hypertables h
            JOIN timescaledb_information.dimensions d
              ON d.hypertable_schema = h.hypertable_schema AND d.hypertable_name = h.hypertable_name
             AND d.dimension_number = 1
            WHERE h.hypertable_name = policy.tbl
        LOOP
            BEGIN
                -- TimescaleDB refuses a compression policy before compression is enabled.
                IF NOT target.compression_enabled THEN
                    EXECUTE format('ALTER TABLE %s SET (timescaledb.compress, timescaledb.compress_orderby = %L)',
                        target.qualified, quote_ident(target.time_column) || ' DESC');
                END IF;
                PERFORM add_compression_policy(target.qualified::regclass, policy.compress_after, if_not_exists => TRUE);
                RAISE NOTICE 'applied: % compressed after %', target.qualified, policy.compress_after;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'skipped: % compression (%)', target.qualified, SQLERRM;
            END;
            BEGIN
                PERFORM add_retention_policy(target.qualified::regclass, policy.keep, if_not_exists => TRUE);
                RAISE NOTICE 'applied: % kept %', target.qualified, policy.keep;
            EXCEPTION WHEN OTHERS THEN
                RAISE NOTICE 'skipped: % retention (%)', target.qualified, SQLERRM;
            END;
        END LOOP;
    END LOOP;

    -- The hourly signal statistics of schema.sql, scheduled once per schema holding it.
    FOR target IN
        SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE p.proname = 'refresh_signal_stats' AND p.prokind = 'p'
    LOOP
        BEGIN
            IF EXISTS (SELECT 1 FROM timescaledb_information.jobs j
                       WHERE j.proc_schema = target.nspname AND j.proc_name = 'refresh_signal_stats') THEN
                RAISE NOTICE 'applied: %.refresh_signal_stats already scheduled', target.nspname;
            ELSE
                PERFORM add_job(format('%I.refresh_signal_stats', target.nspname)::regproc, INTERVAL '1 hour');
                RAISE NOTICE 'applied: %.refresh_signal_stats scheduled hourly', target.nspname;
            END IF;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'skipped: %.refresh_signal_stats job (%)', target.nspname, SQLERRM;
        END;
    END LOOP;
END
$$;
