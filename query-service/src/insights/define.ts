import type { z } from 'zod'
import type { Planned } from '../sql/fragment.ts'
import type { Resolved } from './params.ts'
import type { RollupPlan } from './rollup.ts'

/** What a kind is resolved against: the site the read key was checked for, and the clock. */
export interface InsightContext {
  site: string
  now: Date
  /**
   * The site's time zone setting, when the service knows it: the days of a named range
   * (`range: "today"`) in kinds without `tz` (params.ts, siteZone). UTC without it.
   */
  timeZone?: string | undefined
}

/**
 * Everything that defines one insight kind. The registry turns it into a GET route
 * (`/v1/sites/:site/<kind>`), an entry of `POST /v1/sites/:site/query` (`{"kind": "<kind>", …}`),
 * its OpenAPI paths and schemas, and the docs check; nothing else needs editing to add one.
 *
 * The flow is always: parse `params` → `resolve` (defaults, range and size checks, pure) →
 * `plan` (SQL + bound values, pure) → run → `row` checks each warehouse row → `respond`.
 */
export interface Insight<P extends z.ZodObject, Spec, Row, Body> {
  /** Names the kind in a query spec and the GET path segment. */
  readonly kind: string
  /** One line for OpenAPI. */
  readonly summary: string
  /**
   * Accepted parameters, strict so a misspelt one fails loudly. The same schema reads the
   * query string of the GET route and the JSON body of the query endpoint (minus `kind`);
   * it must include `explainParam`.
   */
  readonly params: P
  /** Defaults filled in and limits checked; a refusal becomes 400 invalid_query. */
  resolve(params: z.output<P>, context: InsightContext): Resolved<Spec>
  /** Pure: the same spec always gives the same SQL and parameters. */
  plan(spec: Spec): Planned
  /**
   * A query that must succeed before the plan runs, for what only the engine can judge: an
   * RE2 pattern is compiled by ClickHouse only when a row reaches it, so an invalid one
   * would otherwise pass on an empty range and fail on a full one. Its failures are 400s.
   */
  preflight?(spec: Spec): Planned | undefined
  /**
   * The same answer from a rollup, or why the spec cannot have it (docs/adr/0025-rollups.md).
   * Pure like `plan`; the route runs it instead of `plan` when it may (RollupPlan).
   */
  rollup?(spec: Spec): RollupPlan | { refused: string }
  /** Each warehouse row is checked (and converted, e.g. UInt64 strings to numbers) by this. */
  readonly row: z.ZodType<Row>
  respond(spec: Spec, rows: Row[]): Body
  /** The response body; OpenAPI is generated from it and a test parses real responses with it. */
  readonly response: z.ZodType<Body>
}

/** Identity with inference, so a kind's module states its types once. */
export function defineInsight<P extends z.ZodObject, Spec, Row, Body>(
  insight: Insight<P, Spec, Row, Body>,
): Insight<P, Spec, Row, Body> {
  return insight
}

/**
 * The registry's element type. Method parameters are bivariant, so each concrete kind fits
 * here while callers only ever pass a kind its own resolved spec and rows.
 */
export type AnyInsight = Insight<z.ZodObject, unknown, unknown, unknown>
