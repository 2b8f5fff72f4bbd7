/**
 * Cluster-mode DDL generated from the same migration files the embedded warehouse runs
 * (docs/adr/0027-cluster-ddl-from-one-source.md). Every table becomes a replicated local
 * table on each shard plus a Distributed table of the original name over them, so the
 * query service and the SQL escape hatch read the same names in both modes, and every
 * statement runs ON CLUSTER. Pure text in, text out: it is checked by parsing each result
 * with ClickHouse's own parser (chdb), since no ClickHouse cluster can run here.
 *
 * Only the statement shapes the repository's migrations use are rewritten; anything else is
 * refused by name, so a new kind of migration cannot silently skip its cluster twin.
 */

export interface ClusterOptions {
  /** The cluster name in the servers' remote_servers config. */
  cluster: string
  /** ZooKeeper/Keeper path prefix; `{shard}`, `{database}` and `{replica}` are server macros. */
  zooPrefix?: string
  /** Sharding expression per table; tables without one get `rand()`. */
  shardingKeys?: Readonly<Record<string, string>>
  /** Tables copied whole to every node instead of sharded; default DEFAULT_EVERYWHERE. */
  everywhere?: ReadonlySet<string>
}

/**
 * A device's events (the unit of a visit) stay on one shard, so sessions and most funnels
 * aggregate shard-locally; sites spread over every shard instead of one site per shard.
 * A site's ingest stats go to one shard by a key of the row itself, so a retried stats insert
 * reaches the same shard as the first and its deduplication token can drop it (rand() would not).
 */
export const DEFAULT_SHARDING_KEYS: Readonly<Record<string, string>> = {
  events: 'cityHash64(site_id, anonymous_id)',
  ingest_stats: 'cityHash64(site_id)',
}

/**
 * Small tables every shard joins its events with: a full replica on each node keeps those
 * joins shard-local (a sharded right side would miss the rows that live on other shards).
 */
export const DEFAULT_EVERYWHERE: ReadonlySet<string> = new Set(['person_overrides'])

export const LOCAL_SUFFIX = '_local'

const IDENT = '[A-Za-z_][A-Za-z0-9_]*'
const CREATE_TABLE = new RegExp(`^CREATE TABLE (IF NOT EXISTS )?(${IDENT})\\b`)
const CREATE_VIEW = new RegExp(`^CREATE MATERIALIZED VIEW (IF NOT EXISTS )?(${IDENT})\\s+TO\\s+(${IDENT})\\b`)
const ALTER_TABLE = new RegExp(`^ALTER TABLE (${IDENT})\\b`)
const INSERT_SELECT = new RegExp(`^INSERT INTO (${IDENT})\\s+SELECT\\b`)
// `ENGINE = MergeTree`, `ENGINE = ReplacingMergeTree(version)`, `AggregatingMergeTree()`…
const ENGINE = /\bENGINE\s*=\s*([A-Za-z]*)MergeTree\b(\(([^()]*)\))?/
const FROM_TABLE = new RegExp(`\\b(FROM|JOIN)\\s+(${IDENT})\\b`, 'g')

/** The cluster twin of one migration statement: one or more statements, in order. */
export function clusterStatements(
  statement: string,
  options: ClusterOptions,
  tables: ReadonlySet<string>,
): string[] {
  const on = `ON CLUSTER ${quoteIdent(options.cluster)}`
  const table = CREATE_TABLE.exec(statement)
  if (table) {
    const [head, ifNotExists = '', name] = table as unknown as [string, string | undefined, string]
    const engine = ENGINE.exec(statement)
    if (!engine) throw new Error(`cluster DDL: table ${name} is not a MergeTree-family table`)
    const [engineText, family = '', , args = ''] = engine as unknown as [string, string, string?, string?]
    const everywhere = isEverywhere(options, name)
    // One Keeper path for the whole cluster makes every node a replica of the same table.
    const path = `'${options.zooPrefix ?? '/clickhouse/tables'}/${everywhere ? 'all' : '{shard}'}/{database}/${name}'`
    const replicatedArgs = [path, "'{replica}'", ...(args.trim() ? [args.trim()] : [])].join(', ')
    const local = statement
      .replace(head, `CREATE TABLE ${ifNotExists}${name}${everywhere ? '' : LOCAL_SUFFIX} ${on}`)
      .replace(engineText, `ENGINE = Replicated${family}MergeTree(${replicatedArgs})`)
      // The replicated engines keep their own dedup window (replicated_deduplication_window).
      .replace(/\bnon_replicated_deduplication_window\s*=\s*(\d+)/, 'replicated_deduplication_window = $1')
    if (everywhere) return [local]
    const key = options.shardingKeys?.[name] ?? DEFAULT_SHARDING_KEYS[name] ?? 'rand()'
    const distributed = `CREATE TABLE ${ifNotExists}${name} ${on} AS ${name}${LOCAL_SUFFIX}
ENGINE = Distributed(${quoteIdent(options.cluster)}, currentDatabase(), ${name}${LOCAL_SUFFIX}, ${key})`
    return [local, distributed]
  }
  const view = CREATE_VIEW.exec(statement)
  if (view) {
    // Each shard's view feeds that shard's target from that shard's inserts: both local.
    const [head, ifNotExists = '', name, target] = view as unknown as [
      string,
      string | undefined,
      string,
      string,
    ]
    const body = statement
      .slice(head.length)
      .replace(FROM_TABLE, (match, word: string, source: string) =>
        tables.has(source) ? `${word} ${source}${LOCAL_SUFFIX}` : match,
      )
    return [`CREATE MATERIALIZED VIEW ${ifNotExists}${name} ${on} TO ${target}${LOCAL_SUFFIX}${body}`]
  }
  const alter = ALTER_TABLE.exec(statement)
  if (alter) {
    const name = alter[1]!
    const rest = statement.slice(alter[0].length)
    if (isEverywhere(options, name)) return [`ALTER TABLE ${name} ${on}${rest}`]
    const local = `ALTER TABLE ${name}${LOCAL_SUFFIX} ${on}${rest}`
    // A Distributed table mirrors its local table's columns; it has no indexes, TTL or data.
    return /^\s*(ADD|DROP|MODIFY|RENAME) COLUMN\b/i.test(rest)
      ? [local, `ALTER TABLE ${name} ${on}${rest}`]
      : [local]
  }
  if (INSERT_SELECT.test(statement)) {
    // A backfill runs once, from one node, through the Distributed tables: it reads every
    // shard and writes to every shard. It cannot be ON CLUSTER (that would run it per node).
    return [statement]
  }
  throw new Error(
    `cluster DDL: no cluster rule for statement starting ${JSON.stringify(statement.slice(0, 60))}`,
  )
}

/** Every statement of every migration, in order, as the cluster runs it. */
export function clusterMigration(
  migrations: ReadonlyArray<{ file: string; statements: readonly string[] }>,
  options: ClusterOptions,
): Array<{ file: string; statements: string[] }> {
  const tables = new Set<string>()
  for (const m of migrations)
    for (const s of m.statements) {
      const name = CREATE_TABLE.exec(s)?.[2]
      if (name && !isEverywhere(options, name)) tables.add(name)
    }
  return migrations.map((m) => ({
    file: m.file,
    statements: m.statements.flatMap((s) => {
      try {
        return clusterStatements(s, options, tables)
      } catch (error) {
        throw new Error(`${m.file}: ${(error as Error).message}`)
      }
    }),
  }))
}

function isEverywhere(options: ClusterOptions, table: string): boolean {
  return (options.everywhere ?? DEFAULT_EVERYWHERE).has(table)
}

function quoteIdent(name: string): string {
  if (!new RegExp(`^${IDENT}$`).test(name))
    throw new Error(`cluster DDL: invalid cluster name ${JSON.stringify(name)}`)
  return name
}
