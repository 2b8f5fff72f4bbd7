import { HttpError } from '@sightline/http'
import { WarehouseError } from '@sightline/warehouse'
import * as z from 'zod'
import type { AnyInsight, InsightContext } from '../insights/define.ts'
import { describeIssues } from '../insights/params.ts'
import { mergedIdsQuery, type RollupPlan } from '../insights/rollup.ts'
import { compile, type Planned } from '../sql/fragment.ts'
import { type RunContext, runPlanned } from './run.ts'

const ANY_ROW = z.unknown()

/**
 * A query spec from parse to rows, in steps, shared by `POST /v1/sites/:site/query` and the
 * live `query` channel so both accept, refuse and bound exactly the same specs. Every
 * refusal is an HttpError with the REST route's code.
 */

/** `{"kind": …, …params}` → the kind and its raw params (400 invalid_query otherwise). */
export function specKind(
  byKind: ReadonlyMap<string, AnyInsight>,
  body: unknown,
): { insight: AnyInsight; input: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError('invalid_query', 'The body must be a JSON object: {"kind": "stats", …}.')
  }
  const { kind, ...input } = body as Record<string, unknown>
  const insight = typeof kind === 'string' ? byKind.get(kind) : undefined
  if (insight === undefined) {
    throw new HttpError('invalid_query', `kind: expected one of ${[...byKind.keys()].join(', ')}`)
  }
  return { insight, input }
}

/** The kind's params, parsed (coerced, defaults filled): what identifies a spec's meaning. */
export function parseParams(insight: AnyInsight, input: unknown): Record<string, unknown> {
  const parsed = insight.params.safeParse(input)
  if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
  return parsed.data as Record<string, unknown>
}

/** A resolved spec: its events plan and, for kinds with one, its rollup plan or why not. */
export interface ResolvedSpec {
  spec: unknown
  planned: Planned
  rollup?: RollupPlan | { refused: string }
}

/**
 * Parsed params → resolved spec and plans, at `now` (a relative range is resolved here, a
 * named range's days in its kind's `tz` or the site's `timeZone`).
 */
export function resolveSpec(
  insight: AnyInsight,
  params: Record<string, unknown>,
  context: InsightContext,
): ResolvedSpec {
  const resolved = insight.resolve(params, context)
  if ('refused' in resolved) throw new HttpError('invalid_query', resolved.refused)
  const planned = insight.plan(resolved.spec)
  const rollup = insight.rollup?.(resolved.spec)
  return rollup === undefined ? { spec: resolved.spec, planned } : { spec: resolved.spec, planned, rollup }
}

/** What `explain` answers: the events plan and, for kinds with a rollup, its plan or why not. */
export function explained(resolved: ResolvedSpec): unknown {
  const { planned, rollup } = resolved
  if (rollup === undefined) return planned
  return { ...planned, rollup: 'planned' in rollup ? rollup.planned : rollup }
}

/**
 * The kind's preflight (when it has one), then its plan on the rollup when the answer there is
 * exact, else on the events table; on the bounded reads lane. Says which source answered.
 */
export async function runSpec(
  run: RunContext,
  insight: AnyInsight,
  resolved: ResolvedSpec,
  site: string,
): Promise<{ rows: unknown[]; source: 'events' | 'rollup' }> {
  const preflight = insight.preflight?.(resolved.spec)
  if (preflight !== undefined) {
    await runPlanned(run, {
      name: `insight.${insight.kind}.preflight`,
      planned: preflight,
      row: ANY_ROW,
      refused: patternRefusal,
    })
  }
  const { rollup } = resolved
  const fromRollup = rollup !== undefined && 'planned' in rollup && (await rollupMayRun(run, site, rollup))
  const rows = await runPlanned(run, {
    name: `insight.${insight.kind}${fromRollup ? '.rollup' : ''}`,
    planned: fromRollup ? rollup.planned : resolved.planned,
    row: insight.row,
    refused: patternRefusal,
  })
  return { rows, source: fromRollup ? 'rollup' : 'events' }
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
  // The engine does not say which pattern it refused, and a spec may hold several (its
  // filters, a goal's filters, a cohort's goal or property), so the message names them all.
  return new HttpError(
    'invalid_query',
    `a matches pattern (in filters, a goal or the cohort) is not valid RE2 (${reason.slice(0, 200)})`,
  )
}
