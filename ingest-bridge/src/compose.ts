// The one place the ingest pipeline is assembled: the standalone bridge (main.ts), the
// embedded hub and the benchmark servers all call composePipeline. Adapters are picked
// here from the config's `kind`s, so cluster mode (Kafka, Redis) is a config change.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { type SigningKeys, toLiveEvent } from '@sightline/contracts'
import { channels, type PubSub } from '@sightline/state'
import type { EventStream } from '@sightline/stream'
import { migrate, openWarehouse, type Warehouse, type WarehouseConfig } from '@sightline/warehouse'
import { type DedupConfig, type OpenedDedup, openDedup } from './adapters/dedup.ts'
import {
  type OpenedRateCounters,
  openRateCounters,
  type RateCountersConfig,
} from './adapters/rate-counters.ts'
import { type OpenedStream, openStream, type StreamConfig } from './adapters/stream.ts'
import { type BridgeAppDeps, createApp, type Readiness } from './app.ts'
import { closeListener, type ListenerLimits, serveNode } from './http/node-server.ts'
import type { LogFn } from './logger.ts'
import { Counters } from './metrics.ts'
import { type CanarySender, DEFAULT_CANARY_INTERVAL_MS, startCanary } from './receiver/canary.ts'
import { MAX_EDGE_BATCH_BYTES } from './receiver/edge-batch.ts'
import type { GeoLookup } from './receiver/geo.ts'
import { openMaxmindGeo } from './receiver/geo-maxmind.ts'
import { startWriter, type Writer, type WriterDeps } from './writer/writer.ts'

export type { DedupConfig, RateCountersConfig, StreamConfig }

export interface PipelineConfig {
  stream: StreamConfig
  dedup?: DedupConfig
  /** Needed by the writer; opened (and migrated) whenever given, so a hub can share it. */
  warehouse?: WarehouseConfig
  topic?: string
  group?: string
  /**
   * What the site store says about each site (retention, keep_ip, events_per_minute);
   * defaults apply without it. Called per batch, so a live view's changes apply at once.
   */
  sites?: {
    retentionDays(siteId: string): number
    keepIp(siteId: string): boolean
    eventsPerMinute?(siteId: string): number | undefined
  }
  /**
   * Where the receiver counts events for the per-site quota (ADR 0032): `memory` (default;
   * one limit per receiver process) or `redis` (one limit per site across every bridge).
   */
  quotaCounters?: RateCountersConfig
  receiver?: {
    host: string
    port: number
    signingKeys: SigningKeys
    /** MaxMind-format city databases for the geo fallback; none = no fallback. */
    geoDatabases?: readonly string[]
    metricsToken?: string
    limits?: Partial<ListenerLimits>
    /**
     * The canary this receiver appends (ADR 0028): its bridge id (default `<hostname>:<port>`)
     * and interval (default a minute; 0 = none).
     */
    canary?: { bridgeId?: string; intervalMs?: number }
  }
  writer?: Pick<WriterDeps, 'maxRecords' | 'maxBytes' | 'maxWaitMs' | 'dedupWindowMs' | 'onLoaded' | 'now'>
  /** Decorates the opened warehouse (the benchmarks time inserts through it). */
  wrapWarehouse?: (warehouse: Warehouse) => Warehouse
  log?: LogFn
  /** Accepted events are published here (`channels.live(site)`) for live subscribers. */
  live?: PubSub
  /** Node process metrics on /metrics too; off where another service of the process exports them (the hub). */
  processMetrics?: boolean
}

export interface Pipeline {
  counters: Counters
  stream: EventStream
  warehouse?: Warehouse
  writer?: Writer
  /** The receiver's listener, when the receiver role runs. */
  bridge?: Server
  /** Another listener (the hub's query service) that stops with the pipeline, before the writer drains. */
  listen(fetch: Parameters<typeof serveNode>[0]['fetch'], options: ListenOptions): Promise<Server>
  readiness(): Promise<Readiness>
  /** Stop accepting (and the canary), drain the writer, close the stream, close the warehouse — in that order. */
  stop(): Promise<void>
}

export interface ListenOptions {
  host: string
  port: number
  limits: ListenerLimits
}

export async function composePipeline(config: PipelineConfig): Promise<Pipeline> {
  const log = config.log
  const topic = config.topic ?? 'events.v1'
  const counters = new Counters({ processMetrics: config.processMetrics ?? false })
  let opened: Warehouse | undefined
  if (config.warehouse) {
    opened = await openWarehouse(config.warehouse)
    await migrate(opened, { log: (m) => log?.('info', m) })
  }
  const warehouse = opened && config.wrapWarehouse ? config.wrapWarehouse(opened) : opened
  const streamAdapter: OpenedStream = await openStream(config.stream, topic, log)
  const stream = streamAdapter.stream
  const listeners: Server[] = []
  let stopping = false

  let writer: Writer | undefined
  let dedup: OpenedDedup | undefined
  if (config.writer) {
    if (!warehouse) throw new Error('the writer role needs a warehouse')
    dedup = await openDedup(config.dedup)
    writer = startWriter({
      ...config.writer,
      stream,
      warehouse,
      dedup: dedup.store,
      counters,
      topic,
      group: config.group ?? 'writer',
      ...(log ? { log } : {}),
      ...(config.sites ? { retentionDays: config.sites.retentionDays } : {}),
    })
  }

  async function readiness(): Promise<Readiness> {
    const roles: Readiness['roles'] = {}
    if (config.receiver) {
      // A spooling bridge is ready: it still makes every batch durable (on local disk).
      const spool = await streamAdapter.spool?.()
      roles.receiver = {
        ready: !stopping && !spool?.full,
        ...(spool ? { spool } : {}),
      }
    }
    if (writer) roles.writer = { ready: writer.ready, lag: await writer.lag().catch(() => -1) }
    return { ready: !stopping && Object.values(roles).every((r) => r.ready), roles }
  }

  async function listen(fetch: Parameters<typeof serveNode>[0]['fetch'], options: ListenOptions) {
    const server = await serveNode({
      fetch,
      hostname: options.host,
      port: options.port,
      limits: options.limits,
    })
    listeners.push(server)
    return server
  }

  let bridge: Server | undefined
  let canary: CanarySender | undefined
  let quotaCounters: OpenedRateCounters | undefined
  if (config.receiver) {
    const r = config.receiver
    // A quota needs the sites' limits; without them there is nothing to count.
    const sites = config.sites
    const eventsPerMinute = sites?.eventsPerMinute
      ? (siteId: string) => sites.eventsPerMinute?.(siteId)
      : undefined
    if (eventsPerMinute) quotaCounters = await openRateCounters(config.quotaCounters)
    const geo: GeoLookup | undefined = r.geoDatabases?.length
      ? await openMaxmindGeo(r.geoDatabases)
      : undefined
    const deps: BridgeAppDeps = {
      stream,
      topic,
      counters,
      signingKeys: r.signingKeys,
      readiness,
      live: () => !stopping,
      // Kafka partitions by key: site + person keeps one person's events in order (ADR 0013).
      keyPerPerson: streamAdapter.partitioned,
      ...(streamAdapter.spool ? { spool: streamAdapter.spool } : {}),
      ...(log ? { log } : {}),
      ...(geo ? { geo } : {}),
      ...(r.metricsToken ? { metricsToken: r.metricsToken } : {}),
      ...(config.sites ? { keepIp: config.sites.keepIp } : {}),
      ...(config.live ? { onAccepted: publishLive(config.live, log) } : {}),
      ...(eventsPerMinute && quotaCounters
        ? { quota: { counters: quotaCounters.counters, eventsPerMinute } }
        : {}),
    }
    bridge = await listen(createApp(deps).fetch, {
      host: r.host,
      port: r.port,
      limits: { maxBodyBytes: MAX_EDGE_BATCH_BYTES, ...r.limits },
    })
    const intervalMs = r.canary?.intervalMs ?? DEFAULT_CANARY_INTERVAL_MS
    if (intervalMs > 0) {
      canary = startCanary({
        stream,
        topic,
        keyPerPerson: streamAdapter.partitioned,
        bridgeId: r.canary?.bridgeId ?? `${hostname()}:${(bridge.address() as AddressInfo).port}`,
        intervalMs,
        counters,
        ...(log ? { log } : {}),
      })
    }
  }

  let stopped: Promise<void> | undefined
  async function stopInOrder(): Promise<void> {
    stopping = true
    await Promise.all(listeners.map((s) => closeListener(s)))
    // Before the writer drains: a canary being appended still reaches the stream.
    await canary?.stop()
    await quotaCounters?.close()
    await writer?.stop()
    await stream.close()
    await dedup?.close()
    await warehouse?.close()
  }

  return {
    counters,
    stream,
    ...(warehouse ? { warehouse } : {}),
    ...(writer ? { writer } : {}),
    ...(bridge ? { bridge } : {}),
    listen,
    readiness,
    stop: () => {
      stopped ??= stopInOrder()
      return stopped
    },
  }
}

/** Fire-and-forget: a live subscriber missing an event never fails or slows an ingest. */
function publishLive(pubsub: PubSub, log?: LogFn) {
  return (batch: { site_id: string; events: Parameters<typeof toLiveEvent>[0][] }) => {
    if (batch.events.length === 0) return
    const message = JSON.stringify({ events: batch.events.map(toLiveEvent) })
    pubsub.publish(channels.live(batch.site_id), message).catch((err) => {
      log?.('warn', 'live publish failed', { err: String(err) })
    })
  }
}
