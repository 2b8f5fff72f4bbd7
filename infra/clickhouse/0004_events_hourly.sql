-- Hourly rollup of events for trends (docs/adr/0025-rollups.md). One row per site, UTC hour,
-- dimension and value, event name, type, bot flag and retention, in "long" form: each event is
-- counted once under the empty dimension ('', '') and once under each rolled-up dimension, so
-- a query that uses at most one dimension (filter and/or breakdown) reads only its rows and the
-- row count grows with the sum of the dimensions' cardinalities, not their product.
-- `visitors` holds the exact set of stored person ids (person_id; '' is nobody), mergeable
-- across hours; identity merges are not visible here, so the planner uses it for visitors only
-- for a site without merged ids.
CREATE TABLE IF NOT EXISTS events_hourly
(
    site_id         LowCardinality(String),
    hour            DateTime('UTC'),
    dimension       LowCardinality(String),
    value           String CODEC(ZSTD(1)),
    event           LowCardinality(String),
    type            LowCardinality(String),
    is_bot          Bool,
    retention_days  UInt16,
    events          SimpleAggregateFunction(sum, UInt64),
    visitors        AggregateFunction(uniqExact, Nullable(String))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (site_id, dimension, hour, value, event, type, is_bot, retention_days)
-- An hour is kept until its last possible event has expired from `events` (ts < hour + 1 h).
TTL hour + toIntervalHour(1) + toIntervalDay(retention_days)
-- A retried insert into events that events drops is dropped here too (with the session's
-- deduplicate_blocks_in_dependent_materialized_views), which needs a window on this table.
SETTINGS non_replicated_deduplication_window = 1000
;
-- Fed by every insert into events (late and out-of-order events land in their own hour).
CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_mv TO events_hourly AS
SELECT
    site_id,
    toStartOfHour(ts) AS hour,
    d.1 AS dimension,
    d.2 AS value,
    event,
    type,
    is_bot,
    retention_days,
    toUInt64(count()) AS events,
    uniqExactState(nullIf(person_id, '')) AS visitors
FROM events
ARRAY JOIN [('', ''), ('page', page_path), ('country', geo_country), ('region', geo_region), ('city', geo_city), ('browser', browser), ('os', os), ('device_type', device_type)] AS d
GROUP BY site_id, hour, dimension, value, event, type, is_bot, retention_days
;
-- Events stored before this migration: migrations run before the writer starts. The SELECT is
-- the view's, repeated: a view with TO cannot be selected back as its query.
INSERT INTO events_hourly
SELECT
    site_id,
    toStartOfHour(ts) AS hour,
    d.1 AS dimension,
    d.2 AS value,
    event,
    type,
    is_bot,
    retention_days,
    toUInt64(count()) AS events,
    uniqExactState(nullIf(person_id, '')) AS visitors
FROM events
ARRAY JOIN [('', ''), ('page', page_path), ('country', geo_country), ('region', geo_region), ('city', geo_city), ('browser', browser), ('os', os), ('device_type', device_type)] AS d
GROUP BY site_id, hour, dimension, value, event, type, is_bot, retention_days
;
