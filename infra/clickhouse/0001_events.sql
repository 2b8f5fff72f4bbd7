-- Raw events: one row per accepted event (see docs/adr/0003-events-table-layout.md).
-- Sort key: a site's queries are ranges over days, usually narrowed to a few event names and
-- grouped by person, so (site_id, date, event, person hash) keeps them to a few granules.
-- Monthly partitions keep part counts low for many small sites; the sort key prunes by date.
CREATE TABLE IF NOT EXISTS events
(
    site_id          LowCardinality(String),
    ts               DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    received_at      DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    client_ts        DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    sent_at          Nullable(DateTime64(3, 'UTC')) CODEC(ZSTD(1)),
    clock_skewed     Bool,
    type             LowCardinality(String),
    event            LowCardinality(String),
    message_id       String CODEC(ZSTD(1)),
    anonymous_id     String CODEC(ZSTD(1)),
    user_id          String CODEC(ZSTD(1)),
    -- Identity at ingest time; merges are applied at query time through identity overrides.
    person_id        String DEFAULT if(user_id != '', user_id, anonymous_id) CODEC(ZSTD(1)),
    group_id         String CODEC(ZSTD(1)),
    previous_id      String CODEC(ZSTD(1)),
    properties       JSON,
    traits           JSON,
    page_url         String CODEC(ZSTD(3)),
    page_path        String CODEC(ZSTD(3)),
    page_referrer    String CODEC(ZSTD(3)),
    referrer_host    LowCardinality(String),
    page_title       String CODEC(ZSTD(3)),
    utm_source       LowCardinality(String),
    utm_medium       LowCardinality(String),
    utm_campaign     LowCardinality(String),
    utm_term         LowCardinality(String),
    utm_content      LowCardinality(String),
    screen_width     UInt16,
    screen_height    UInt16,
    locale           LowCardinality(String),
    timezone         LowCardinality(String),
    library_name     LowCardinality(String),
    library_version  LowCardinality(String),
    geo_country      LowCardinality(String),
    geo_region       LowCardinality(String),
    geo_city         LowCardinality(String),
    geo_timezone     LowCardinality(String),
    geo_continent    LowCardinality(String),
    geo_latitude     Nullable(Float32),
    geo_longitude    Nullable(Float32),
    geo_asn          UInt32,
    geo_as_org       LowCardinality(String),
    browser          LowCardinality(String),
    browser_version  LowCardinality(String),
    os               LowCardinality(String),
    os_version       LowCardinality(String),
    device_type      LowCardinality(String),
    device_vendor    LowCardinality(String),
    device_model     LowCardinality(String),
    is_bot           Bool,
    bot_score        Float32,
    bot_reasons      Array(LowCardinality(String)),
    edge_colo        LowCardinality(String),
    edge_region      LowCardinality(String),
    ingest_path      LowCardinality(String),
    -- Empty unless the site opted in to keeping raw IPs.
    ip               String CODEC(ZSTD(1)),
    user_agent       String CODEC(ZSTD(3)),
    -- Per-row so a site's retention applies to exactly its rows; the writer stamps it.
    retention_days   UInt16 DEFAULT 395,
    -- The writer's dedup fallback looks rows up by message_id after a dedup-store reset.
    INDEX idx_message_id message_id TYPE bloom_filter(0.001) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (site_id, toDate(ts), event, cityHash64(person_id))
TTL toDateTime(ts) + toIntervalDay(retention_days)
-- Without a window, insert_deduplication_token does nothing on a non-replicated MergeTree.
SETTINGS non_replicated_deduplication_window = 1000
;
