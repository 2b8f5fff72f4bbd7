-- Dead letters: what was refused, where, and why, so a site can count and inspect its losses.
CREATE TABLE IF NOT EXISTS rejected
(
    site_id      LowCardinality(String),
    received_at  DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    stage        LowCardinality(String),
    code         LowCardinality(String),
    message      String CODEC(ZSTD(3)),
    message_id   String CODEC(ZSTD(1)),
    ingest_path  LowCardinality(String),
    -- Kept verbatim (up to the event size limit) so a fixed bug can replay it.
    payload      String CODEC(ZSTD(6))
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (site_id, received_at)
TTL toDateTime(received_at) + toIntervalDay(30)
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1
;
