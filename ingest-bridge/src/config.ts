import { z } from 'zod'

const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return schema.parse(JSON.parse(text)) as z.infer<T>
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `must be JSON: ${(err as Error).message}` })
      return z.NEVER
    }
  })

/** Standalone bridge config (the embedded launcher composes the same parts itself). */
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
