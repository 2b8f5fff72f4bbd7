-- Identity merges (docs/persons.md, docs/adr/0020-person-overrides.md): which person an id
-- belongs to, per site, for ids that identify/alias linked. An id without a row is a person
-- of its own. Raw events are never rewritten: queries join this table on events.person_id.
-- The writer appends a row whenever an id's person changes; the highest version wins
-- (argMax at query time, so correctness never waits for the background merge that
-- ReplacingMergeTree uses to drop the superseded rows).
CREATE TABLE IF NOT EXISTS person_overrides
(
    site_id    LowCardinality(String),
    id         String CODEC(ZSTD(1)),
    person     String CODEC(ZSTD(1)),
    version    UInt64,
    merged_at  DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1))
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (site_id, id)
;
