import { HttpError, type RequestIdEnv } from '@sightline/http'
import type { Context, Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AnyInsight } from '../insights/define.ts'
import { describeIssues } from '../insights/params.ts'
import { insightIndex } from '../insights/registry.ts'
import type { Clock } from '../ports.ts'
import { type RunContext, runPlanned } from './run.ts'

/** A query spec is a few hundred bytes; anything near this is not one. */
export const MAX_SPEC_BYTES = 16 * 1024

export interface InsightRouteDeps {
  /** The registered kinds (INSIGHTS in production). */
  insights: readonly AnyInsight[]
  clock: Clock
  /** What each request needs to run its query; the signal and request id come from `c`. */
  runContext(c: Context<RequestIdEnv>): RunContext
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
  const parsed = insight.params.safeParse(input)
  if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
  const resolved = insight.resolve(parsed.data, { site: c.req.param('site')!, now: deps.clock() })
  if ('refused' in resolved) throw new HttpError('invalid_query', resolved.refused)
  const planned = insight.plan(resolved.spec)
  if ((parsed.data as { explain?: boolean }).explain === true) return c.json(planned)
  const rows = await runPlanned(deps.runContext(c), {
    name: `insight.${insight.kind}`,
    planned,
    row: insight.row,
  })
  return c.json(insight.respond(resolved.spec, rows) as object)
}
