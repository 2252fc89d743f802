-- Sample rows for the core trading schema (scripts/init-database.sh --seed): a few
-- signals and executions over the last days and one metric, enough to see the tables and
-- dashboards work. Dated relative to now so retention keeps them; a row whose signal or
-- order id is already present is left alone, so seeding twice adds nothing.

INSERT INTO trading_signals (signal_id, source, symbol, direction, confidence, payload, created_at)
SELECT s.signal_id, 'seed', s.symbol, s.direction, s.confidence, '{"note": "seed"}', date_trunc('hour', now()) - s.age
FROM (VALUES
    ('seed-0001', 'PETR4', 'BUY', 82.50, INTERVAL '3 days'),
    ('seed-0002', 'VALE3', 'SELL', 64.00, INTERVAL '2 days'),
    ('seed-0003', 'ITUB4', 'HOLD', 51.25, INTERVAL '1 day'),
    ('seed-0004', 'WINFUT', 'BUY', 90.00, INTERVAL '0 hours')
) AS s(signal_id, symbol, direction, confidence, age)
WHERE NOT EXISTS (SELECT 1 FROM trading_signals t WHERE t.signal_id = s.signal_id);

INSERT INTO executions (order_id, symbol, side, price, quantity, status, created_at)
SELECT e.order_id, e.symbol, e.side, e.price, e.quantity, e.status, date_trunc('hour', now()) - e.age
FROM (VALUES
    ('seed-order-1', 'PETR4', 'BUY', 38.12, 100, 'filled', INTERVAL '3 days'),
    ('seed-order-2', 'VALE3', 'SELL', 61.45, 50, 'filled', INTERVAL '2 days'),
    ('seed-order-3', 'WINFUT', 'BUY', 128450.00, 1, 'partial', INTERVAL '0 hours')
) AS e(order_id, symbol, side, price, quantity, status, age)
WHERE NOT EXISTS (SELECT 1 FROM executions x WHERE x.order_id = e.order_id);

INSERT INTO performance_metrics (bucket, metric, value, tags)
SELECT date_trunc('day', now()) - INTERVAL '1 day', 'seed_win_rate', 0.58, '{"source": "seed"}'
WHERE NOT EXISTS (SELECT 1 FROM performance_metrics WHERE metric = 'seed_win_rate');
