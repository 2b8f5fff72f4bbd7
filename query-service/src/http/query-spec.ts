import { HttpError } from '@sightline/http'
import { WarehouseError } from '@sightline/warehouse'
import * as z from 'zod'
import type { AnyInsight } from '../insights/define.ts'
import { describeIssues } from '../insights/params.ts'
import type { Planned } from '../sql/fragment.ts'
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

/** Parsed params → resolved spec and plan, at `now` (a relative range is resolved here). */
export function resolveSpec(
  insight: AnyInsight,
  params: Record<string, unknown>,
  context: { site: string; now: Date },
): { spec: unknown; planned: Planned } {
  const resolved = insight.resolve(params, context)
  if ('refused' in resolved) throw new HttpError('invalid_query', resolved.refused)
  return { spec: resolved.spec, planned: insight.plan(resolved.spec) }
}

/** The kind's preflight (when it has one), then its plan, on the bounded reads lane. */
export async function runSpec(
  run: RunContext,
  insight: AnyInsight,
  resolved: { spec: unknown; planned: Planned },
): Promise<unknown[]> {
  const preflight = insight.preflight?.(resolved.spec)
  if (preflight !== undefined) {
    await runPlanned(run, {
      name: `insight.${insight.kind}.preflight`,
      planned: preflight,
      row: ANY_ROW,
      refused: patternRefusal,
    })
  }
  return runPlanned(run, {
    name: `insight.${insight.kind}`,
    planned: resolved.planned,
    row: insight.row,
    refused: patternRefusal,
  })
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
