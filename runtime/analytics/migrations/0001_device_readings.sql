-- Device readings, one row per (tenant, device, metric, measured time).
--
-- ReplacingMergeTree collapses rows with the same sorting key, keeping the one received last, so a
-- redelivered reading never counts twice. Merges happen in the background at no fixed time: readers go
-- through the store's {{readings}} subquery, which reads with FINAL.
--
-- tenant_path is the tenant's materialised path (`1.2.3`); the store matches a subtree as
-- `tenant_path = '1.2.3' OR startsWith(tenant_path, '1.2.3.')`, on the sorting key's first column.
-- value holds the reading exactly: Decimal(18, 3) is the SDK's milli bigint with the decimal point put
-- back (|milli| < 10^18).
CREATE TABLE IF NOT EXISTS {{database}}.device_readings
(
    tenant_id   UInt64,
    tenant_path String,
    device      String,
    metric      LowCardinality(String),
    at          DateTime64(3, 'UTC'),
    value       Decimal(18, 3),
    received_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_path, device, metric, at);
