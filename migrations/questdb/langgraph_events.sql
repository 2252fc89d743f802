-- LangGraph workflow telemetry in QuestDB: node events and per-node and per-workflow
-- metrics. Applied by scripts/init-database.sh through QuestDB's /exec endpoint when
-- QUESTDB_REST_URL is set, one statement at a time (statements end with a semicolon at
-- the end of a line). Safe to run again. Each table has a designated timestamp, is
-- partitioned by day and written through the WAL, so concurrent writers never block.

CREATE TABLE IF NOT EXISTS langgraph_events (
    timestamp TIMESTAMP,
    event_id SYMBOL,
    run_id SYMBOL,
    thread_id SYMBOL,
    workflow_type SYMBOL,
    workflow_name SYMBOL,
    node_name SYMBOL,
    event_type SYMBOL,
    status SYMBOL,
    duration_ms DOUBLE,
    input_data STRING,
    output_data STRING,
    error_message STRING,
    trace_id SYMBOL,
    span_id SYMBOL,
    parent_span_id SYMBOL,
    tags STRING,
    host SYMBOL,
    environment SYMBOL
) TIMESTAMP(timestamp) PARTITION BY DAY WAL;

CREATE TABLE IF NOT EXISTS langgraph_node_metrics (
    timestamp TIMESTAMP,
    workflow_type SYMBOL,
    workflow_name SYMBOL,
    node_name SYMBOL,
    execution_count LONG,
    success_count LONG,
    error_count LONG,
    avg_duration_ms DOUBLE,
    p50_duration_ms DOUBLE,
    p95_duration_ms DOUBLE,
    p99_duration_ms DOUBLE,
    max_duration_ms DOUBLE,
    environment SYMBOL
) TIMESTAMP(timestamp) PARTITION BY DAY WAL;

CREATE TABLE IF NOT EXISTS langgraph_workflow_metrics (
    timestamp TIMESTAMP,
    workflow_type SYMBOL,
    workflow_name SYMBOL,
    total_runs LONG,
    completed_runs LONG,
    failed_runs LONG,
    cancelled_runs LONG,
    avg_duration_ms DOUBLE,
    avg_nodes_executed DOUBLE,
    environment SYMBOL
) TIMESTAMP(timestamp) PARTITION BY DAY WAL;
