import { randomUUID } from 'node:crypto'
import { HttpError } from '@sightline/http'
import { DEFAULT_MAX_CONCURRENT_READS, type Warehouse } from '@sightline/warehouse'
import { type Logger, pino } from 'pino'
import { MAX_SPEC_BYTES } from '../http/insight-routes.ts'
import type { KeyInFlight } from '../http/key-concurrency.ts'
import { parseParams, resolveSpec, runSpec, specKind } from '../http/query-spec.ts'
import { canonicalJson } from '../http/result-cache.ts'
import type { AnyInsight, InsightContext } from '../insights/define.ts'
import { DAY_MS } from '../insights/params.ts'
import { INSIGHTS, insightIndex } from '../insights/registry.ts'
import type { SiteTimeZone, SiteWatermark, Timers } from '../ports.ts'
import { nextClockRun } from './clock-runs.ts'
import { type Member, QueryGroups } from './query-groups.ts'

/** What the `query` channel needs: the REST routes' warehouse, kinds and key budget. */
export interface LiveQueryDeps {
  warehouse: Warehouse
  /** The same budget object as the REST routes' (createApp's `keyConcurrency`). */
  inFlight: KeyInFlight
  insights?: readonly AnyInsight[]
  /** Sites' time zones, as the REST routes have them (a named range's days; UTC without). */
  siteTimeZone?: SiteTimeZone
  logger?: Logger
  /**
   * Live runs evaluating at once, shortest expected first (run-slots.ts): the warehouse's read
   * slots (1 embedded, the default).
   */
  maxConcurrentRuns?: number
  /** Called once per warehouse run of a live query (the hub counts them as a metric). */
  onRun?: (site: string, kind: string) => void
}

/** A spec that passed every check the REST route makes before running. */
export interface CheckedSpec {
  insight: AnyInsight
  params: Record<string, unknown>
  /** The group key: kind + parsed params, canonical (see result-cache.ts's canonicalJson). */
  canonical: string
  /**
   * The spec resolves differently as time passes (a range with `to` omitted ends "now"), so
   * its answer can change with no new data: it is re-run by the clock too (clock-runs.ts).
   */
  movesWithClock: boolean
}

export interface LiveQueryOptions {
  minIntervalMs: number
  /** Clock runs of specs that move with the clock fall on the multiples of this. */
  clockStepMs: number
  timers: Timers
}

/**
 * The `query` channel's spec checks and shared runs. A spec is checked exactly as
 * `POST /v1/sites/:site/query` checks it (kind, params, range) and runs through the same
 * bounded read path; relative ranges are resolved again at every run, and re-run on the
 * clock as well as on new data.
 */
export class LiveQueries {
  private readonly byKind: ReadonlyMap<string, AnyInsight>
  private readonly groups: QueryGroups
  private readonly timers: Timers
  private readonly logger: Logger

  constructor(
    private readonly deps: LiveQueryDeps,
    watermark: SiteWatermark,
    options: LiveQueryOptions,
  ) {
    this.byKind = insightIndex(deps.insights ?? INSIGHTS)
    this.timers = options.timers
    this.logger = deps.logger ?? pino({ level: 'silent' })
    const { clockStepMs } = options
    this.groups = new QueryGroups({
      watermark,
      minIntervalMs: options.minIntervalMs,
      timers: options.timers,
      evaluate: (site, spec, atMs, signal) => this.evaluate(site, spec as CheckedSpec, atMs, signal),
      clockRunAfter: (spec, atMs) =>
        (spec as CheckedSpec).movesWithClock ? nextClockRun(atMs, clockStepMs) : undefined,
      acquire: (keys, signal) => acquireAny(deps.inFlight, keys, signal),
      maxConcurrentRuns: deps.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_READS.embedded,
    })
  }

  /** Throws the REST route's HttpError for a spec it would refuse before running. */
  check(site: string, spec: Record<string, unknown>): CheckedSpec {
    if (Buffer.byteLength(JSON.stringify(spec)) > MAX_SPEC_BYTES) {
      throw new HttpError('payload_too_large', `A query spec is at most ${MAX_SPEC_BYTES} bytes.`)
    }
    const { insight, input } = specKind(this.byKind, spec)
    const params = parseParams(insight, input)
    if (params.explain === true) {
      throw new HttpError(
        'invalid_query',
        'explain: not available on the live API; use POST /v1/sites/:site/query.',
      )
    }
    const context = { site, now: new Date(this.timers.now()), timeZone: this.deps.siteTimeZone?.(site) }
    const resolved = resolveSpec(insight, params, context)
    return {
      insight,
      params,
      // The parsed params, where a named range is still its name: a `today` group stays one
      // group across midnight and resolves to the new day at its next run.
      canonical: canonicalJson({ kind: insight.kind, params }),
      movesWithClock: movesWithClock(insight, params, context, resolved.spec),
    }
  }

  join(site: string, spec: CheckedSpec, member: Member, snapshot: boolean): () => void {
    return this.groups.join(site, spec.canonical, spec, member, snapshot)
  }

  /** Distinct specs being kept live (each runs once per watermark for all its subscribers). */
  groupCount(): number {
    return this.groups.size()
  }

  /** Groups with a clock run pending (their spec moves with the clock). */
  clockWaiting(): number {
    return this.groups.clockWaiting()
  }

  close(): void {
    this.groups.close()
  }

  private async evaluate(site: string, spec: CheckedSpec, atMs: number, signal: AbortSignal) {
    const { insight, params } = spec
    const resolved = resolveSpec(insight, params, {
      site,
      now: new Date(atMs),
      timeZone: this.deps.siteTimeZone?.(site),
    })
    this.deps.onRun?.(site, insight.kind)
    const { rows } = await runSpec(
      { warehouse: this.deps.warehouse, logger: this.logger, requestId: `live-${randomUUID()}`, signal },
      insight,
      resolved,
      site,
    )
    return {
      data: insight.respond(resolved.spec, rows) as Record<string, unknown>,
      // The rows, not the body: the body echoes the resolved range, which moves with the clock.
      fingerprint: canonicalJson(rows),
    }
  }
}

/**
 * Whether a spec's meaning depends on when it is resolved: resolved later, does it become
 * another spec (or a refused one)? Asked of the resolution itself rather than of `to` alone,
 * so every clock-dependent default of every kind counts (now: `to` omitted means now, `from`
 * omitted a span before it, a named range such as `today`), and an absolute range never does.
 * A year later rather than a millisecond or a day: past the next start of every day, week,
 * month and year, so a resolution that only moves at one counts too (`last_month` is the same
 * period for weeks on end, then another).
 */
function movesWithClock(
  insight: AnyInsight,
  params: Record<string, unknown>,
  context: InsightContext,
  resolvedNow: unknown,
): boolean {
  const later = insight.resolve(params, { ...context, now: new Date(context.now.getTime() + LATER_MS) })
  return !('spec' in later) || canonicalJson(later.spec) !== canonicalJson(resolvedNow)
}

const LATER_MS = 366 * DAY_MS

/** A run slot on the first of `keys` with room, waiting for a release while none has. */
async function acquireAny(
  inFlight: KeyInFlight,
  keys: readonly string[],
  signal: AbortSignal,
): Promise<() => void> {
  // The group's signal lives as long as the group and this runs once per run: the listener
  // is removed when the wait ends, or every run would leave one behind.
  let onAbort = () => {}
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    for (;;) {
      if (signal.aborted) throw new Error('aborted')
      for (const key of new Set(keys)) {
        const release = inFlight.tryAcquire(key)
        if (release) return release
      }
      await Promise.race([inFlight.nextRelease(), aborted])
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
