import type { WarehouseConfig } from '@sightline/warehouse'
import { z } from 'zod'
import type { PipelineConfig } from './compose.ts'

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
  STREAM_DIR: z.string().min(1),
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
   * The site store file (the embedded install's sightline.json format): per-site retention
   * and keep_ip. Without it every row gets 395 days and no raw IP is kept.
   */
  SITES_FILE: z.string().min(1).optional(),
  /** The metadata database (postgres://… or pglite:<dir>); wins over SITES_FILE and follows changes. */
  METADATA_URL: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
})
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>

export function loadBridgeConfig(env: Record<string, string | undefined>): BridgeConfig {
  const parsed = BridgeConfigSchema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new Error(`invalid bridge configuration:\n${lines.join('\n')}`)
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
  return {
    stream: { kind: 'segment-log', dir: config.STREAM_DIR },
    dedup: { kind: 'memory' },
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
          },
        }
      : {}),
    ...(sites ? { sites } : {}),
  }
}
