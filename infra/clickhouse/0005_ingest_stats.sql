-- Ingest health (docs/adr/0028-ingest-stats-and-canaries.md), written by the writer after each
-- committed batch, in "long" form: one row per site, commit minute, outcome and reason, and one
-- per canary. Several batches of one minute add rows with the same key; merges fold them into
-- one by summing `events` and `lag_ms`, and every read sums with GROUP BY, so the answer is the
-- same before and after any merge.
--   outcome   inserted | duplicate | refused (stage + reason say which) | canary
--   site_id   the events' site; '' on canary rows (pipeline-wide) and unreadable stream records
--   minute    the minute the writer committed the batch (its clock), not the events' time
--   stage     refused: edge (refused at the edge, carried in the batch) | writer; '' otherwise
--   reason    refused: the code, as in `rejected`; '' otherwise
--   bridge_id, created_at   canary: the bridge that sent it and when it made it
--   events    how many events (canary rows: 1 per delivery of that canary)
--   lag_ms    canary: commit time − created_at; a canary recorded twice sums both, so it is
--             read as sum(lag_ms) / sum(events) per canary
CREATE TABLE IF NOT EXISTS ingest_stats
(
    site_id     LowCardinality(String),
    minute      DateTime('UTC'),
    outcome     LowCardinality(String),
    stage       LowCardinality(String),
    reason      LowCardinality(String),
    bridge_id   LowCardinality(String),
    created_at  DateTime64(3, 'UTC'),
    events      UInt64,
    lag_ms      Int64
)
-- No column list: SummingMergeTree sums every numeric column outside the sorting key, which
-- is exactly events and lag_ms.
ENGINE = SummingMergeTree
PARTITION BY toYYYYMMDD(minute)
ORDER BY (site_id, minute, outcome, stage, reason, bridge_id, created_at)
TTL minute + toIntervalDay(30)
-- A retried stats insert of the same batch carries the same token and is dropped.
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1
;
