import type { InboundEvent } from '@sightline/contracts'
import { isBotUserAgent } from './catalog/agents.ts'
import { hashSeed, Rng, type Seed, weighted } from './random.ts'
import { botSession, type Draft, humanSession, type SessionDeps } from './sessions.ts'
import { createVisitor, NS_BOT, NS_MESSAGE, type SiteInfo, siteInfo, type Visitor } from './visitors.ts'

export interface GeneratorOptions {
  seed: Seed
  /** Site names; each maps to a hostname in page URLs (see `hostOf`). Default ['example.com']. */
  sites?: string[]
  /** Size of the human visitor pool; visitors return across sessions. Default 1000. */
  visitors?: number
  /** Window start. Default 2025-01-06T00:00:00Z — fixed, so output never depends on the clock. */
  start?: Date
  /** Window length; every timestamp lies in [start, start + spanMs]. Default 24 h. */
  spanMs?: number
  /** Share of *events* (not visitors) that come from bots. Default 0.1. */
  botShare?: number
  /** Share of human visitors who are known users (user_id + identify). Default 0.2. */
  identifiedShare?: number
}

/** A native batch body, ready to POST to /v1/batch. */
export interface NativeBatch {
  batch: InboundEvent[]
  sent_at?: string
}

export interface BatchOptions {
  /**
   * Client send time stamped on every batch. Default: the window end, which makes the edge's
   * skew correction map the window onto [received − spanMs, received]. Pass null to omit
   * sent_at, so the edge keeps client timestamps as they are (they must then be recent).
   */
  sentAt?: Date | null
}

export interface EventGenerator {
  readonly start: Date
  readonly end: Date
  readonly sites: readonly string[]
  /** The next n events of this generator's stream; successive calls continue it. */
  events(n: number): InboundEvent[]
  /** The next totalEvents events, split into single-site batches of at most batchSize. */
  batches(totalEvents: number, batchSize: number, options?: BatchOptions): NativeBatch[]
  /** Which of `sites` an event (by its page URL) or a batch (by its first event) belongs to. */
  siteOf(item: InboundEvent | NativeBatch): string
  hostOf(site: string): string
  isBotUserAgent(ua: string | undefined): boolean
  isBot(event: InboundEvent): boolean
}

const DEFAULT_START = new Date('2025-01-06T00:00:00.000Z')
const HOUR = 3_600_000

export function createGenerator(options: GeneratorOptions): EventGenerator {
  const seedHash = hashSeed(options.seed)
  const rng = new Rng(hashSeed(seedHash, 'stream'))
  const siteList = options.sites?.length ? [...options.sites] : ['example.com']
  const infos = siteList.map(siteInfo)
  const byHost = new Map(infos.map((s) => [s.host, s.id]))
  if (byHost.size !== infos.length) throw new RangeError('sites must map to distinct hostnames')
  // Zipf-like: the first site is the busiest, as in any real multi-site install.
  const siteTable = weighted(infos.map((s, i): [SiteInfo, number] => [s, 1 / (i + 1)]))
  const visitorCount = Math.max(1, Math.floor(options.visitors ?? 1000))
  const startMs = (options.start ?? DEFAULT_START).getTime()
  const spanMs = Math.max(0, options.spanMs ?? 24 * HOUR)
  const endMs = startMs + spanMs
  const botShare = clamp01(options.botShare ?? 0.1)
  const identifiedShare = clamp01(options.identifiedShare ?? 0.2)

  const visitors = new Map<number, Visitor>()
  let messages = 0
  let bots = 0
  const deps: SessionDeps = { rng, messageId: () => rng.uuid(messages++, seedHash ^ NS_MESSAGE) }
  // Running mean events per session, so choosing bot sessions by probability yields the
  // requested share of events even though bot visits are much longer than human ones.
  const mean = { human: { events: 6, sessions: 1 }, bot: { events: 33, sessions: 1 } }

  let buffer: InboundEvent[] = []
  let cursor = 0

  function sessionStart(): number {
    // Diurnal shape peaking at 15:00 UTC (Europe afternoon, US morning), by rejection.
    for (let tries = 0; tries < 16; tries++) {
      const t = startMs + rng.next() * spanMs
      const hour = (t / HOUR) % 24
      if (rng.next() < 0.35 + 0.65 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24))) return t
    }
    return startMs + rng.next() * spanMs
  }

  function visitor(): Visitor {
    // Squaring skews picks toward low indices: a few loyal visitors return often.
    const index = Math.floor(visitorCount * rng.next() ** 2)
    let v = visitors.get(index)
    if (!v) {
      v = createVisitor(seedHash, index, siteTable, identifiedShare)
      visitors.set(index, v)
    }
    return v
  }

  function refill(): void {
    const h = mean.human.events / mean.human.sessions
    const b = mean.bot.events / mean.bot.sessions
    const pBot = botShare === 0 ? 0 : (botShare * h) / (botShare * h + (1 - botShare) * b)
    const isBot = rng.chance(pBot)
    let drafts: Draft[]
    if (isBot) {
      const site = rng.pickWeighted(siteTable)
      drafts = botSession(deps, site, rng.uuid(bots++, seedHash ^ NS_BOT))
      mean.bot.events += drafts.length
      mean.bot.sessions++
    } else {
      drafts = humanSession(deps, visitor())
      mean.human.events += drafts.length
      mean.human.sessions++
    }
    // Shift the whole visit back if it would run past the window, keeping its rhythm.
    const last = drafts[drafts.length - 1]?.t ?? 0
    const base = Math.max(startMs, Math.min(sessionStart(), endMs - last))
    buffer = []
    cursor = 0
    for (const d of drafts) {
      d.event.timestamp = new Date(Math.min(Math.round(base + d.t), endMs)).toISOString()
      buffer.push(d.event)
    }
  }

  function events(n: number): InboundEvent[] {
    const out: InboundEvent[] = []
    while (out.length < n) {
      if (cursor >= buffer.length) refill()
      out.push(buffer[cursor++]!)
    }
    return out
  }

  function siteOf(item: InboundEvent | NativeBatch): string {
    const event = 'batch' in item ? item.batch[0] : item
    const url = event?.context?.page?.url
    // Generated URLs are always https://host/path; slicing beats new URL() in batch loops.
    const host = url?.startsWith('https://') ? url.slice(8, url.indexOf('/', 8)) : undefined
    const site = host ? byHost.get(host) : undefined
    if (site === undefined) throw new RangeError(`not an event of this generator: ${url ?? 'no page url'}`)
    return site
  }

  function batches(totalEvents: number, batchSize: number, opts: BatchOptions = {}): NativeBatch[] {
    if (!(batchSize >= 1)) throw new RangeError('batchSize must be at least 1')
    const sentAt = opts.sentAt === undefined ? new Date(endMs).toISOString() : opts.sentAt?.toISOString()
    const wrap = (batch: InboundEvent[]): NativeBatch => (sentAt ? { batch, sent_at: sentAt } : { batch })
    const out: NativeBatch[] = []
    // One queue per site: a batch is sent with one write key, so it must be single-site.
    const queues = new Map<string, InboundEvent[]>()
    for (const event of events(totalEvents)) {
      const site = siteOf(event)
      const queue = queues.get(site) ?? []
      queue.push(event)
      if (queue.length >= batchSize) {
        out.push(wrap(queue))
        queues.set(site, [])
      } else queues.set(site, queue)
    }
    for (const queue of queues.values()) if (queue.length > 0) out.push(wrap(queue))
    return out
  }

  return {
    start: new Date(startMs),
    end: new Date(endMs),
    sites: siteList,
    events,
    batches,
    siteOf,
    hostOf: (site) => {
      const info = infos.find((s) => s.id === site)
      if (!info) throw new RangeError(`unknown site: ${site}`)
      return info.host
    },
    isBotUserAgent,
    isBot: (event) => isBotUserAgent(event.context?.userAgent),
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0
}
