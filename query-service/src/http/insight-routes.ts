import { HttpError, type RequestIdEnv } from '@sightline/http'
import type { ReadStats } from '@sightline/warehouse'
import type { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AnyInsight } from '../insights/define.ts'
import { insightIndex } from '../insights/registry.ts'
import type { Clock, SiteTimeZone } from '../ports.ts'
import type { AnswerMeta } from './answer-meta.ts'
import { explained, parseParams, resolveSpec, runSpec, specKind } from './query-spec.ts'
import { ReadTally } from './read-tally.ts'
import type { ResultCache } from './result-cache.ts'
import type { RunContext } from './run.ts'

/** A query spec is a few hundred bytes; anything near this is not one. */
export const MAX_SPEC_BYTES = 16 * 1024

export interface InsightRouteDeps {
  /** The registered kinds (INSIGHTS in production). */
  insights: readonly AnyInsight[]
  clock: Clock
  /** Sites' time zones: the days of a named range in kinds without `tz` (UTC without it). */
  siteTimeZone?: SiteTimeZone
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
      const { insight, input } = specKind(byKind, body)
      return answer(c, deps, insight, input)
    },
  )
}

/** Parse → resolve → explain or run → check rows → respond; the same for every kind and entry. */
async function answer(c: Context<RequestIdEnv>, deps: InsightRouteDeps, insight: AnyInsight, input: unknown) {
  const started = performance.now()
  const params = parseParams(insight, input)
  const site = c.req.param('site')!
  const resolved = resolveSpec(insight, params, {
    site,
    now: deps.clock(),
    timeZone: deps.siteTimeZone?.(site),
  })
  // The events plan, and for kinds with a rollup the rollup plan or why the spec cannot have it.
  if (params.explain === true) return c.json(explained(resolved))
  const cache = deps.cache
  // The key is taken before the query runs (see result-cache.ts for why that order matters).
  const key = cache?.keyFor(insight.kind, resolved.spec)
  if (cache !== undefined && key !== undefined) {
    const hit = await cache.get(site, key)
    if (hit !== undefined) return withMeta(c, hit, { cache: 'hit', started })
  }
  // Every statement the answer runs (preflight, merged-ids check, plan) adds what it read.
  const tally = new ReadTally()
  const { rows, source } = await runSpec({ ...deps.runContext(c), tally }, insight, resolved, site)
  const body = JSON.stringify(insight.respond(resolved.spec, rows))
  if (cache !== undefined && key !== undefined) await cache.set(site, key, body)
  return withMeta(c, body, {
    cache: cache === undefined ? 'off' : 'miss',
    started,
    source,
    read: tally.total(),
  })
}

/**
 * The kind's body plus `meta`, spliced as text so a cached body is served without being
 * parsed again. `meta` describes this answer, never the cached one: its elapsed time, whether
 * the cache served it, and (computed answers only) its source and what the engine read. A hit
 * read nothing from the engine, and the cost of the computation that filled the cache was
 * reported by the miss that did; the cache keeps bodies only.
 */
function withMeta(
  c: Context<RequestIdEnv>,
  body: string,
  meta: {
    cache: AnswerMeta['cache']
    started: number
    source?: AnswerMeta['source']
    read?: ReadStats | undefined
  },
) {
  const elapsed = Math.round((performance.now() - meta.started) * 100) / 100
  const head = body === '{}' ? '{' : `${body.slice(0, -1)},`
  const answer: AnswerMeta = {
    cache: meta.cache,
    elapsed_ms: elapsed,
    ...(meta.source === undefined ? {} : { source: meta.source }),
    ...(meta.read === undefined ? {} : { rows_read: meta.read.rowsRead, bytes_read: meta.read.bytesRead }),
  }
  const text = `${head}"meta":${JSON.stringify(answer)}}`
  return c.body(text, 200, { 'content-type': 'application/json' })
}
