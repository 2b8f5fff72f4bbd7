import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { clusterMigration, clusterStatements, DEFAULT_EVERYWHERE } from '../src/cluster-ddl.ts'
import { loadMigrations } from '../src/migrate.ts'
import type { Warehouse } from '../src/port.ts'
import { chdbFixture } from './chdb-fixture.ts'

// No ClickHouse cluster can run here, so the generated DDL is proven the strongest way
// available: ClickHouse's own parser (chdb's formatQuery) accepts every statement, and the
// statements have the shape a cluster needs. The non-replicated originals run in every test.
const chdb = chdbFixture()
let w: Warehouse
beforeAll(async () => {
  w = await chdb.open()
})
afterAll(() => chdb.cleanup())

const OPTIONS = { cluster: 'sightline' }

async function parses(statement: string): Promise<string> {
  const [row] = await w.query({
    name: 'cluster_ddl.parse',
    sql: 'SELECT formatQuery({ddl:String}) AS formatted',
    params: { ddl: statement },
    row: z.object({ formatted: z.string() }),
  })
  return row!.formatted
}

describe('cluster DDL generated from the migrations', () => {
  it('turns every repository table into a replicated local table plus a Distributed one, all parseable', async () => {
    const migrations = await loadMigrations()
    const generated = clusterMigration(migrations, OPTIONS)
    const statements = generated.flatMap((m) => m.statements)
    const sourceTables = migrations
      .flatMap((m) => m.statements)
      .map((s) => /^CREATE TABLE (?:IF NOT EXISTS )?(\w+)/.exec(s)?.[1])
      .filter((name): name is string => name !== undefined)
    expect(sourceTables).toEqual(expect.arrayContaining(['events', 'rejected', 'ingest_stats']))
    for (const statement of statements) {
      const formatted = await parses(statement)
      // Backfills run once through the Distributed tables; everything else on every node.
      if (statement.startsWith('INSERT INTO ')) {
        expect(formatted, statement.slice(0, 80)).not.toMatch(/_local\b|ON CLUSTER/)
        continue
      }
      expect(formatted, statement.slice(0, 80)).toContain('ON CLUSTER sightline')
      expect(formatted).not.toMatch(/non_replicated_deduplication_window/)
    }
    for (const table of sourceTables) {
      if (DEFAULT_EVERYWHERE.has(table)) {
        expect(
          statements.some((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER`)),
          table,
        ).toBe(true)
        continue
      }
      const local = statements.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table}_local `))
      expect(local, table).toMatch(
        new RegExp(
          `ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${table}', '\\{replica\\}'`,
        ),
      )
      const distributed = statements.find((s) => s.startsWith(`CREATE TABLE IF NOT EXISTS ${table} `))
      expect(distributed, table).toContain(`AS ${table}_local`)
      expect(distributed).toMatch(
        new RegExp(`ENGINE = Distributed\\(sightline, currentDatabase\\(\\), ${table}_local, `),
      )
    }
    // A device's events stay on one shard (visits are per device).
    expect(statements.join('\n')).toContain('events_local, cityHash64(site_id, anonymous_id))')
    // A retried stats insert lands on the shard of the first, where its token drops it.
    expect(statements.join('\n')).toContain('ingest_stats_local, cityHash64(site_id))')
    expect(statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS ingest_stats_local'))).toMatch(
      /ENGINE = ReplicatedSummingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/ingest_stats', '\{replica\}'\)[\s\S]*replicated_deduplication_window = 1000, ttl_only_drop_parts = 1/,
    )
    // The dedup window survives the engine change: retried inserts stay idempotent.
    expect(statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS events_local'))).toContain(
      'replicated_deduplication_window = 1000',
    )
  })

  it('keeps engine arguments, points views at local tables and mirrors column changes', async () => {
    const tables = new Set(['events', 'visits_hourly'])
    const [local] = clusterStatements(
      'CREATE TABLE IF NOT EXISTS visits_hourly (site_id String, v UInt64) ENGINE = ReplacingMergeTree(v) ORDER BY site_id',
      OPTIONS,
      tables,
    )
    expect(local).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/visits_hourly', '{replica}', v)",
    )
    const [view] = clusterStatements(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS visits_hourly_mv TO visits_hourly AS SELECT site_id, count() AS v FROM events GROUP BY site_id',
      OPTIONS,
      tables,
    )
    expect(view).toBe(
      'CREATE MATERIALIZED VIEW IF NOT EXISTS visits_hourly_mv ON CLUSTER sightline TO visits_hourly_local AS SELECT site_id, count() AS v FROM events_local GROUP BY site_id',
    )
    const addColumn = clusterStatements(
      'ALTER TABLE events ADD COLUMN IF NOT EXISTS x UInt8',
      OPTIONS,
      tables,
    )
    expect(addColumn).toEqual([
      'ALTER TABLE events_local ON CLUSTER sightline ADD COLUMN IF NOT EXISTS x UInt8',
      'ALTER TABLE events ON CLUSTER sightline ADD COLUMN IF NOT EXISTS x UInt8',
    ])
    const addIndex = clusterStatements('ALTER TABLE events ADD INDEX i x TYPE minmax', OPTIONS, tables)
    expect(addIndex).toEqual(['ALTER TABLE events_local ON CLUSTER sightline ADD INDEX i x TYPE minmax'])
    for (const s of [local!, view!, ...addColumn, ...addIndex]) await parses(s)
  })

  it("feeds each shard's hourly rollup from that shard's events, and backfills it once", async () => {
    const statements = clusterMigration(await loadMigrations(), OPTIONS).flatMap((m) => m.statements)
    const view = statements.find((s) =>
      s.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_mv'),
    )
    expect(view).toMatch(/ON CLUSTER sightline TO events_hourly_local\b/)
    expect(view).toMatch(/FROM events_local\b/)
    expect(statements.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS events_hourly_local'))).toMatch(
      /ENGINE = ReplicatedAggregatingMergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/events_hourly', '\{replica\}'\)/,
    )
    const backfill = statements.find((s) => s.startsWith('INSERT INTO events_hourly'))
    expect(backfill).toMatch(/^INSERT INTO events_hourly\s+SELECT[\s\S]*FROM events\s/)
  })

  it('copies the identity table whole to every node, so each shard joins it locally', async () => {
    const tables = new Set(['events'])
    const statements = clusterStatements(
      'CREATE TABLE IF NOT EXISTS person_overrides (site_id String, id String, person String, version UInt64) ENGINE = ReplacingMergeTree(version) ORDER BY (site_id, id)',
      OPTIONS,
      tables,
    )
    expect(statements).toHaveLength(1)
    expect(statements[0]).toContain('CREATE TABLE IF NOT EXISTS person_overrides ON CLUSTER sightline')
    expect(statements[0]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/person_overrides', '{replica}', version)",
    )
    expect(clusterStatements('ALTER TABLE person_overrides ADD COLUMN x UInt8', OPTIONS, tables)).toEqual([
      'ALTER TABLE person_overrides ON CLUSTER sightline ADD COLUMN x UInt8',
    ])
    await parses(statements[0]!)
  })

  it('the parse check is real: ClickHouse refuses a broken statement', async () => {
    await expect(
      parses('CREATE TABLE t ON CLUSTER c (x UInt8) ENGINE = ReplicatedMergeTree('),
    ).rejects.toThrow()
  })

  it('refuses what it has no rule for, naming the migration, instead of skipping it', () => {
    expect(() =>
      clusterMigration(
        [{ file: '0099_dict.sql', statements: ['CREATE DICTIONARY d (k UInt64) PRIMARY KEY k'] }],
        OPTIONS,
      ),
    ).toThrow(/0099_dict\.sql: cluster DDL: no cluster rule/)
    expect(() =>
      clusterMigration(
        [{ file: '0098_log.sql', statements: ['CREATE TABLE t (x UInt8) ENGINE = Log'] }],
        OPTIONS,
      ),
    ).toThrow(/0098_log\.sql: .*not a MergeTree-family table/)
    expect(() =>
      clusterStatements('ALTER TABLE events DELETE WHERE 1', { cluster: "x'; DROP" }, new Set()),
    ).toThrow(/invalid cluster name/)
  })
})
