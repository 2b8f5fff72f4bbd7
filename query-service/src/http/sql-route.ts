import { HttpError, type RequestIdEnv } from '@sightline/http'
import { WarehouseError } from '@sightline/warehouse'
import type { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import * as z from 'zod'
import { describeIssues } from '../insights/params.ts'
import { checkAst, parseExplainAst } from '../sql-hatch/ast-check.ts'
import { CONFINED_TABLES, confine, SITE_PARAM } from '../sql-hatch/confine.ts'
import { Refused } from '../sql-hatch/tokens.ts'
import { ReadTally } from './read-tally.ts'
import { type RunContext, runPlanned } from './run.ts'

/** A hand-written query is a few lines; 16 KB is far more than any of them. */
export const MAX_SQL_BYTES = 16 * 1024
/** Hatch reads are tighter than the insights': a user chose their cost, not the planner. */
export const SQL_LIMITS = { maxExecutionTimeS: 5, maxMemoryBytes: 256 * 1024 * 1024, maxResultRows: 10_000 }
/** The answer is buffered before it is sent; past this many bytes it is refused as too large. */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024

export const SqlRequestSchema = z.strictObject({
  sql: z.string().min(1).max(MAX_SQL_BYTES),
  /** Adds the SQL as it ran (rewritten, site-bound) to meta. */
  explain: z.boolean().optional(),
})

export const SqlResponseSchema = z.object({
  rows: z.array(z.record(z.string(), z.unknown())),
  meta: z.object({
    columns: z.array(z.string()),
    rows: z.number().int(),
    elapsed_ms: z.number(),
    /** What the user's statement read (the syntax check reads nothing); absent when unreported. */
    rows_read: z.number().int().nonnegative().optional(),
    bytes_read: z.number().int().nonnegative().optional(),
    sql: z.string().optional(),
  }),
})

const ANY_ROW = z.record(z.string(), z.unknown())
// chdb hands EXPLAIN's single column over as bare strings, a server as {"explain": …}.
const EXPLAIN_ROW = z.union([z.string(), z.object({ explain: z.string() }).transform((r) => r.explain)])

export interface SqlRouteDeps {
  runContext(c: Context<RequestIdEnv>): RunContext
}

/** `POST /v1/sites/:site/sql`; the read-key middleware has already matched the key to :site. */
export function mountSql(app: Hono<RequestIdEnv>, deps: SqlRouteDeps): void {
  app.post(
    '/v1/sites/:site/sql',
    bodyLimit({
      maxSize: MAX_SQL_BYTES + 1024,
      onError: () => {
        throw new HttpError('payload_too_large', `A SQL request is at most ${MAX_SQL_BYTES} bytes.`)
      },
    }),
    async (c) => {
      let body: unknown
      try {
        body = await c.req.json()
      } catch {
        throw new HttpError('invalid_json', 'The body must be JSON: {"sql": "SELECT …"}.')
      }
      const parsed = SqlRequestSchema.safeParse(body)
      if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
      const started = performance.now()
      const run = deps.runContext(c)
      const database = run.warehouse.database
      const params = { [SITE_PARAM]: c.req.param('site')! }
      const refused = engineRefusal(database)

      const confined = refusing(() => confine(parsed.data.sql, database))
      // ClickHouse's own parser is the judge of what the rewritten text means.
      const ast = await runPlanned(run, {
        name: 'sql.check',
        planned: { sql: `EXPLAIN AST ${confined.shape}`, params: { [SITE_PARAM]: '' } },
        row: EXPLAIN_ROW,
        refused,
      })
      refusing(() => checkAst(parseExplainAst(ast), database, CONFINED_TABLES, confined.injected))

      const limits = tighter(run, SQL_LIMITS)
      // Only the user's statement is metered: its cost is what they chose and want to see.
      const tally = new ReadTally()
      const rows = await runPlanned(
        { ...run, tally },
        {
          name: 'sql.user',
          planned: { sql: confined.sql, params },
          row: ANY_ROW,
          limits,
          // Defence in depth under the AST check: the engine itself refuses writes, settings
          // changes and table functions for this statement.
          readonly: true,
          refused,
        },
      )
      // The engine checks max_result_rows per block, so one large block can slip past it.
      if (rows.length > limits.maxResultRows) {
        throw new HttpError(
          'query_too_large',
          `The answer has more than ${limits.maxResultRows} rows; add a LIMIT or aggregate.`,
        )
      }
      const read = tally.total()
      const answer = {
        rows,
        meta: {
          columns: rows[0] === undefined ? [] : Object.keys(rows[0]),
          rows: rows.length,
          elapsed_ms: Math.round((performance.now() - started) * 100) / 100,
          ...(read === undefined ? {} : { rows_read: read.rowsRead, bytes_read: read.bytesRead }),
          ...(parsed.data.explain === true ? { sql: confined.sql } : {}),
        },
      }
      const text = JSON.stringify(answer)
      if (text.length > MAX_ANSWER_BYTES) {
        throw new HttpError(
          'query_too_large',
          `The answer exceeds ${MAX_ANSWER_BYTES} bytes; select fewer rows or columns.`,
        )
      }
      return c.body(text, 200, { 'content-type': 'application/json' })
    },
  )
}

function refusing<T>(check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof Refused) throw new HttpError('invalid_query', `The SQL was refused: ${err.message}.`)
    throw err
  }
}

function tighter(run: RunContext, limits: typeof SQL_LIMITS) {
  const own = run.warehouse.limits
  return {
    maxExecutionTimeS: Math.min(own.maxExecutionTimeS, limits.maxExecutionTimeS),
    maxMemoryBytes: Math.min(own.maxMemoryBytes, limits.maxMemoryBytes),
    maxResultRows: Math.min(own.maxResultRows, limits.maxResultRows),
  }
}

// Engine codes that mean the engine, not the query, is in trouble: these stay outages.
const OUTAGE_CODES = new Set([
  '202',
  '209',
  '210',
  '159',
  '241',
  '158',
  '396',
  '394',
  '516',
  '81',
  '999',
  '1000',
  '1001',
])

/**
 * A user's SQL may name a column that does not exist or misuse a function; the engine's
 * refusal is then the request's fault (400 with the engine's reason), not an outage (503).
 * Only failures carrying a ClickHouse error code count: a connection that fails has none.
 */
function engineRefusal(database: string) {
  return (err: unknown): HttpError | undefined => {
    if (!(err instanceof WarehouseError)) {
      // The port's own pre-check (a read ending in its own SETTINGS/FORMAT) fires on the text.
      if (err instanceof Error && /must not end with its own SETTINGS or FORMAT/.test(err.message)) {
        return new HttpError(
          'invalid_query',
          'The SQL was refused: it may not end with a SETTINGS or FORMAT clause.',
        )
      }
      return undefined
    }
    if (err.kind !== 'failed') return undefined
    const cause = err.cause as { code?: unknown; type?: unknown; message?: unknown } | undefined
    const code = typeof cause?.code === 'string' && /^\d+$/.test(cause.code) ? cause.code : undefined
    if (code === undefined || OUTAGE_CODES.has(code)) return undefined
    const type = typeof cause?.type === 'string' ? cause.type : `code ${code}`
    const reason = String(cause?.message ?? '')
      .split(/\sSETTINGS max_execution_time|\n/)[0]!
      .replaceAll(`\`${database}\`.`, '')
      .replaceAll(`${database}.`, '')
      .slice(0, 300)
    return new HttpError('invalid_query', `The engine refused the SQL (${type}): ${reason}`)
  }
}
