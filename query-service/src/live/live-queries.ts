import { randomUUID } from 'node:crypto'
import { HttpError } from '@sightline/http'
import type { Warehouse } from '@sightline/warehouse'
import { type Logger, pino } from 'pino'
import { MAX_SPEC_BYTES } from '../http/insight-routes.ts'
import type { KeyInFlight } from '../http/key-concurrency.ts'
import { parseParams, resolveSpec, runSpec, specKind } from '../http/query-spec.ts'
import { canonicalJson } from '../http/result-cache.ts'
import type { AnyInsight } from '../insights/define.ts'
import { INSIGHTS, insightIndex } from '../insights/registry.ts'
import type { Clock, SiteWatermark } from '../ports.ts'
import { type Member, QueryGroups } from './query-groups.ts'

/** What the `query` channel needs: the REST routes' warehouse, kinds, clock and key budget. */
export interface LiveQueryDeps {
  warehouse: Warehouse
  /** The same budget object as the REST routes' (createApp's `keyConcurrency`). */
  inFlight: KeyInFlight
  insights?: readonly AnyInsight[]
  clock?: Clock
  logger?: Logger
  /** Called once per warehouse run of a live query (the hub counts them as a metric). */
  onRun?: (site: string, kind: string) => void
}

/** A spec that passed every check the REST route makes before running. */
export interface CheckedSpec {
  insight: AnyInsight
  params: Record<string, unknown>
  /** The group key: kind + parsed params, canonical (see result-cache.ts's canonicalJson). */
  canonical: string
}

/**
 * The `query` channel's spec checks and shared runs. A spec is checked exactly as
 * `POST /v1/sites/:site/query` checks it (kind, params, range) and runs through the same
 * bounded read path; relative ranges are resolved again at every run.
 */
export class LiveQueries {
  private readonly byKind: ReadonlyMap<string, AnyInsight>
  private readonly groups: QueryGroups
  private readonly clock: Clock
  private readonly logger: Logger

  constructor(
    private readonly deps: LiveQueryDeps,
    watermark: SiteWatermark,
    options: { minIntervalMs: number; now: () => number },
  ) {
    this.byKind = insightIndex(deps.insights ?? INSIGHTS)
    this.clock = deps.clock ?? (() => new Date())
    this.logger = deps.logger ?? pino({ level: 'silent' })
    this.groups = new QueryGroups({
      watermark,
      minIntervalMs: options.minIntervalMs,
      now: options.now,
      evaluate: (site, spec, signal) => this.evaluate(site, spec as CheckedSpec, signal),
      acquire: (keys, signal) => acquireAny(deps.inFlight, keys, signal),
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
    resolveSpec(insight, params, { site, now: this.clock() })
    return { insight, params, canonical: canonicalJson({ kind: insight.kind, params }) }
  }

  join(site: string, spec: CheckedSpec, member: Member, snapshot: boolean): () => void {
    return this.groups.join(site, spec.canonical, spec, member, snapshot)
  }

  /** Distinct specs being kept live (each runs once per watermark for all its subscribers). */
  groupCount(): number {
    return this.groups.size()
  }

  close(): void {
    this.groups.close()
  }

  private async evaluate(site: string, spec: CheckedSpec, signal: AbortSignal) {
    const { insight, params } = spec
    const resolved = resolveSpec(insight, params, { site, now: this.clock() })
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
