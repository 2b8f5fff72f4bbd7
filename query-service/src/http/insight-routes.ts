import { HttpError, type RequestIdEnv } from '@sightline/http'
import { WarehouseError } from '@sightline/warehouse'
import type { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import * as z from 'zod'
import type { AnyInsight } from '../insights/define.ts'
import { describeIssues } from '../insights/params.ts'
import { insightIndex } from '../insights/registry.ts'
import { mergedIdsQuery, type RollupPlan } from '../insights/rollup.ts'
import type { Clock } from '../ports.ts'
import { compile } from '../sql/fragment.ts'
import type { AnswerMeta } from './answer-meta.ts'
import type { ResultCache } from './result-cache.ts'
import { type RunContext, runPlanned } from './run.ts'

const ANY_ROW = z.unknown()

/** A query spec is a few hundred bytes; anything near this is not one. */
export const MAX_SPEC_BYTES = 16 * 1024

export interface InsightRouteDeps {
  /** The registered kinds (INSIGHTS in production). */
  insights: readonly AnyInsight[]
  clock: Clock
  /** What each request needs to run its query; the signal and request id come from `c`. */
  runContext(c: Context<RequestIdEnv>): RunContext
  /** Answers by canonical spec and data watermark; without one every answer is computed. */
  cache?: ResultCache
}

/**
 * One GET convenience per registered kind (`/v1/sites/:site/<kind>?…`) and the one query
 * entry (`POST /v1/sites/:site/query` with `{"kind": …}`), both answering through `answer`.
 * The read-key middleware has already checked the key against :site.
 */
export function mountInsights(app: Hono<RequestIdEnv>, deps: InsightRouteDeps): void {
  const byKind = insightIndex(deps.insights)
  const kinds = [...byKind.keys()].join(', ')
  for (const insight of deps.insights) {
    app.get(`/v1/sites/:site/${insight.kind}`, (c) => answer(c, deps, insight, c.req.query()))
  }

  app.post(
    '/v1/sites/:site/query',
    bodyLimit({
      maxSize: MAX_SPEC_BYTES,
      onError: () => {
        throw new HttpError('payload_too_large', `A query spec is at most ${MAX_SPEC_BYTES} bytes.`)
      },
    }),
    async (c) => {
      let body: unknown
      try {
        body = await c.req.json()
      } catch {
        throw new HttpError('invalid_json', 'The body must be a JSON query spec: {"kind": "stats", …}.')
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HttpError('invalid_query', 'The body must be a JSON object: {"kind": "stats", …}.')
      }
      const { kind, ...params } = body as Record<string, unknown>
      const insight = typeof kind === 'string' ? byKind.get(kind) : undefined
      if (insight === undefined) {
        throw new HttpError('invalid_query', `kind: expected one of ${kinds}`)
      }
      return answer(c, deps, insight, params)
    },
  )
}

/** Parse → resolve → explain or run → check rows → respond; the same for every kind and entry. */
async function answer(c: Context<RequestIdEnv>, deps: InsightRouteDeps, insight: AnyInsight, input: unknown) {
  const started = performance.now()
  const parsed = insight.params.safeParse(input)
  if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
  const site = c.req.param('site')!
  const resolved = insight.resolve(parsed.data, { site, now: deps.clock() })
  if ('refused' in resolved) throw new HttpError('invalid_query', resolved.refused)
  const planned = insight.plan(resolved.spec)
  const rollup = insight.rollup?.(resolved.spec)
  if ((parsed.data as { explain?: boolean }).explain === true) {
    // The events plan, and for kinds with a rollup the rollup plan or why the spec cannot have it.
    return c.json(
      rollup === undefined ? planned : { ...planned, rollup: 'planned' in rollup ? rollup.planned : rollup },
    )
  }
  const cache = deps.cache
  // The key is taken before the query runs (see result-cache.ts for why that order matters).
  const key = cache?.keyFor(insight.kind, resolved.spec)
  if (cache !== undefined && key !== undefined) {
    const hit = await cache.get(site, key)
    if (hit !== undefined) return withMeta(c, hit, { cache: 'hit', started })
  }
  const run = deps.runContext(c)
  const preflight = insight.preflight?.(resolved.spec)
  if (preflight !== undefined) {
    await runPlanned(run, {
      name: `insight.${insight.kind}.preflight`,
      planned: preflight,
      row: ANY_ROW,
      refused: patternRefusal,
    })
  }
  const fromRollup = rollup !== undefined && 'planned' in rollup && (await rollupMayRun(run, site, rollup))
  const rows = await runPlanned(run, {
    name: `insight.${insight.kind}${fromRollup ? '.rollup' : ''}`,
    planned: fromRollup ? rollup.planned : planned,
    row: insight.row,
    refused: patternRefusal,
  })
  const body = JSON.stringify(insight.respond(resolved.spec, rows))
  if (cache !== undefined && key !== undefined) await cache.set(site, key, body)
  return withMeta(c, body, {
    cache: cache === undefined ? 'off' : 'miss',
    started,
    source: fromRollup ? 'rollup' : 'events',
  })
}

const MergedRow = z.object({ merged: z.coerce.number() })

/**
 * The rollup counts stored person ids, so a plan that counts persons runs on it only while the
 * site has no merged ids (one small read of the site's overrides); counts of events always may.
 */
async function rollupMayRun(run: RunContext, site: string, rollup: RollupPlan): Promise<boolean> {
  if (!rollup.countsPersons) return true
  const [row] = await runPlanned(run, {
    name: 'insight.rollup.merged_ids',
    planned: compile(mergedIdsQuery(site)),
    row: MergedRow,
  })
  return row?.merged === 0
}

/**
 * The kind's body plus `meta`, spliced as text so a cached body is served without being
 * parsed again. `meta` describes this answer, never the cached one: its elapsed time and
 * whether the cache served it.
 */
function withMeta(
  c: Context<RequestIdEnv>,
  body: string,
  meta: { cache: AnswerMeta['cache']; started: number; source?: AnswerMeta['source'] },
) {
  const elapsed = Math.round((performance.now() - meta.started) * 100) / 100
  const head = body === '{}' ? '{' : `${body.slice(0, -1)},`
  const answer: AnswerMeta = {
    cache: meta.cache,
    elapsed_ms: elapsed,
    ...(meta.source === undefined ? {} : { source: meta.source }),
  }
  const text = `${head}"meta":${JSON.stringify(answer)}}`
  return c.body(text, 200, { 'content-type': 'application/json' })
}

/** ClickHouse's CANNOT_COMPILE_REGEXP: the only engine error a valid spec can cause. */
const CANNOT_COMPILE_REGEXP = '427'

/**
 * A `matches` filter's pattern is checked by the engine's own RE2 (a JavaScript check would
 * refuse valid RE2 and pass invalid RE2), so its refusal is the user's 400, with RE2's reason.
 */
function patternRefusal(err: unknown): HttpError | undefined {
  if (!(err instanceof WarehouseError) || err.kind !== 'failed') return undefined
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined
  if (String(cause?.code) !== CANNOT_COMPILE_REGEXP) return undefined
  const reason = /error: ([^.]*)/.exec(String(cause?.message ?? ''))?.[1] ?? 'invalid pattern'
  return new HttpError(
    'invalid_query',
    `filters: a matches pattern is not valid RE2 (${reason.slice(0, 200)})`,
  )
}
