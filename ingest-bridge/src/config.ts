import { join } from 'node:path'
import type { WarehouseConfig } from '@sightline/warehouse'
import { z } from 'zod'
import type { PipelineConfig } from './compose.ts'
import { DEFAULT_CANARY_INTERVAL_MS } from './receiver/canary.ts'

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return schema.parse(JSON.parse(text)) as z.infer<T>
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be JSON: ${(err as Error).message}` })
      return z.NEVER
    }
  })

/** Standalone bridge config (the embedded hub builds a PipelineConfig from its own). */
export const BridgeConfigSchema = z.object({
  BRIDGE_HOST: z.string().default('127.0.0.1'),
  BRIDGE_PORT: z.coerce.number().int().min(0).max(65535).default(8788),
  BRIDGE_ROLES: z
    .string()
    .default('receiver,writer')
    .transform((s) => new Set(s.split(',').map((r) => r.trim()))),
  /** The embedded segment log's directory; with KAFKA_BROKERS, the spool's (default `<STREAM_DIR>/spool`). */
  STREAM_DIR: z.string().min(1),
  /** Comma-separated Kafka bootstrap brokers: set = cluster mode (Kafka stream), unset = the embedded log. */
  KAFKA_BROKERS: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    ),
  KAFKA_CLIENT: z.enum(['kafkajs', 'platformatic']).default('platformatic'),
  /** Bytes the receiver may spool on local disk while Kafka is unreachable; then 503. */
  SPOOL_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 ** 3),
  /**
   * Redis for the writer's dedup marks and the receiver's quota counters (cluster mode:
   * one events_per_minute limit per site across every bridge); unset = in memory.
   */
  REDIS_URL: z.string().optional(),
  REDIS_PREFIX: z.string().default('sl:'),
  STREAM_TOPIC: z.string().default('events.v1'),
  WRITER_GROUP: z.string().default('writer'),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CHDB_PATH: z.string().optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('sightline'),
  SIGNING_KEYS: json(z.record(z.string(), z.string().min(16))),
  /** Comma-separated MaxMind-format city databases for the geo fallback (e.g. DB-IP Lite v4,v6). */
  GEO_DATABASES: z
    .string()
    .optional()
    .transform((s) =>
      (s ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  /** Bearer token for GET /metrics (its labels name every site); unset = no /metrics. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /**
   * The site store file (the embedded install's sightline.json format): per-site retention,
   * keep_ip and events_per_minute. Without it every row gets 395 days, no raw IP is kept and
   * no site has a quota.
   */
  SITES_FILE: z.string().min(1).optional(),
  /** The metadata database (postgres://… or pglite:<dir>); wins over SITES_FILE and follows changes. */
  METADATA_URL: z.string().min(1).optional(),
  /**
   * The hub's bridge view (`…/admin/v1/bridge/sites`), polled every second: how the local
   * cluster's bridges follow a hub whose PGlite they cannot open. Between METADATA_URL and
   * SITES_FILE in precedence; needs SITES_TOKEN.
   */
  SITES_URL: z.url().optional(),
  SITES_TOKEN: z.string().min(16).optional(),
  /** Names this bridge's canaries (ADR 0028); default `<hostname>:<BRIDGE_PORT>`. Shown to every read key. */
  BRIDGE_ID: z.string().min(1).max(200).optional(),
  /** Milliseconds between the receiver's canaries; 0 = none. */
  CANARY_INTERVAL_MS: z.coerce.number().int().min(0).default(DEFAULT_CANARY_INTERVAL_MS),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
})
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>

export function loadBridgeConfig(env: Record<string, string | undefined>): BridgeConfig {
  const parsed = BridgeConfigSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid bridge configuration:\n${lines.join('\n')}`)
  }
  if (parsed.data.SITES_URL && !parsed.data.SITES_TOKEN) {
    throw new Error('invalid bridge configuration:\n  SITES_TOKEN is required with SITES_URL')
  }
  if (!parsed.data.CLICKHOUSE_URL && !parsed.data.CHDB_PATH && parsed.data.BRIDGE_ROLES.has('writer')) {
    throw new Error(
      'invalid bridge configuration:\n  CLICKHOUSE_URL or CHDB_PATH is required for the writer role',
    )
  }
  return parsed.data
}

/** The pipeline this configuration names (compose.ts builds it). */
export function pipelineConfig(
  config: BridgeConfig,
  sites?: PipelineConfig['sites'],
): Omit<PipelineConfig, 'log'> {
  const warehouse: WarehouseConfig | undefined = config.CLICKHOUSE_URL
    ? {
        mode: 'http',
        url: config.CLICKHOUSE_URL,
        ...(config.CLICKHOUSE_USER ? { username: config.CLICKHOUSE_USER } : {}),
        ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
        database: config.CLICKHOUSE_DATABASE,
      }
    : config.CHDB_PATH
      ? { mode: 'embedded', path: config.CHDB_PATH, database: config.CLICKHOUSE_DATABASE }
      : undefined
  const stream: PipelineConfig['stream'] =
    config.KAFKA_BROKERS.length > 0
      ? {
          kind: 'kafka',
          brokers: config.KAFKA_BROKERS,
          client: config.KAFKA_CLIENT,
          ...(config.BRIDGE_ROLES.has('receiver')
            ? { spool: { dir: join(config.STREAM_DIR, 'spool'), maxBytes: config.SPOOL_MAX_BYTES } }
            : {}),
        }
      : { kind: 'segment-log', dir: config.STREAM_DIR }
  return {
    stream,
    dedup: config.REDIS_URL
      ? { kind: 'redis', url: config.REDIS_URL, prefix: config.REDIS_PREFIX }
      : { kind: 'memory' },
    quotaCounters: config.REDIS_URL
      ? { kind: 'redis', url: config.REDIS_URL, prefix: config.REDIS_PREFIX }
      : { kind: 'memory' },
    topic: config.STREAM_TOPIC,
    group: config.WRITER_GROUP,
    ...(config.BRIDGE_ROLES.has('writer') && warehouse ? { warehouse, writer: {} } : {}),
    ...(config.BRIDGE_ROLES.has('receiver')
      ? {
          receiver: {
            host: config.BRIDGE_HOST,
            port: config.BRIDGE_PORT,
            signingKeys: config.SIGNING_KEYS,
            geoDatabases: config.GEO_DATABASES,
            ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
            canary: {
              intervalMs: config.CANARY_INTERVAL_MS,
              ...(config.BRIDGE_ID ? { bridgeId: config.BRIDGE_ID } : {}),
            },
          },
        }
      : {}),
    ...(sites ? { sites } : {}),
  }
}
