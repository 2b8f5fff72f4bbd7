import type { ReadLaneConfig, WarehouseConfig } from '@sightline/warehouse'
import { z } from 'zod'
import type { AuthThrottleOptions } from './http/auth-throttle.ts'
import type { KeyConcurrencyOptions } from './http/key-concurrency.ts'

const EnvSchema = z
  .object({
    QUERY_PORT: z.coerce.number().int().min(1).max(65_535).default(8790),
    WAREHOUSE_MODE: z.enum(['embedded', 'http']).default('embedded'),
    WAREHOUSE_PATH: z.string().min(1).default('.sightline/chdb'),
    WAREHOUSE_URL: z.url().optional(),
    WAREHOUSE_USER: z.string().optional(),
    WAREHOUSE_PASSWORD: z.string().optional(),
    WAREHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/)
      .default('sightline'),
    // Bounds of every warehouse read; unset means the warehouse's defaults (docs/operations.md).
    QUERY_MAX_EXECUTION_TIME_S: z.coerce.number().int().min(1).max(3_600).optional(),
    QUERY_MAX_MEMORY_BYTES: z.coerce.number().int().min(1_000_000).optional(),
    QUERY_MAX_RESULT_ROWS: z.coerce.number().int().min(1).optional(),
    QUERY_MAX_CONCURRENT_READS: z.coerce.number().int().min(1).max(64).optional(),
    READ_KEYS_FILE: z.string().min(1).default('.sightline/read-keys.json'),
    QUERY_MAX_IN_FLIGHT_PER_KEY: z.coerce.number().int().min(1).max(1_000).default(16),
    QUERY_AUTH_FAILURE_BURST: z.coerce.number().int().min(1).default(20),
    QUERY_AUTH_FAILURE_REFILL_S: z.coerce.number().positive().default(3),
    // Bearer token for GET /metrics; unset = no /metrics.
    QUERY_METRICS_TOKEN: z.string().min(16).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .refine((env) => env.WAREHOUSE_MODE !== 'http' || env.WAREHOUSE_URL !== undefined, {
    path: ['WAREHOUSE_URL'],
    error: 'required when WAREHOUSE_MODE=http',
  })

export interface QueryServiceConfig {
  port: number
  warehouse: WarehouseConfig
  readKeysFile: string
  logLevel: string
  authThrottle: AuthThrottleOptions
  keyConcurrency: KeyConcurrencyOptions
  metricsToken?: string
}

/** Parsed once at startup; every bad variable is listed at once so a deploy fails with one message. */
export function loadConfig(env: Record<string, string | undefined>): QueryServiceConfig {
  const parsed = EnvSchema.safeParse(env)
  if (!parsed.success)
    throw new Error(`invalid query-service configuration:\n${z.prettifyError(parsed.error)}`)
  const e = parsed.data
  const warehouse: WarehouseConfig =
    e.WAREHOUSE_MODE === 'http'
      ? {
          mode: 'http',
          url: e.WAREHOUSE_URL!,
          database: e.WAREHOUSE_DATABASE,
          ...(e.WAREHOUSE_USER === undefined ? {} : { username: e.WAREHOUSE_USER }),
          ...(e.WAREHOUSE_PASSWORD === undefined ? {} : { password: e.WAREHOUSE_PASSWORD }),
        }
      : { mode: 'embedded', path: e.WAREHOUSE_PATH, database: e.WAREHOUSE_DATABASE }
  const reads: ReadLaneConfig = {
    ...(e.QUERY_MAX_EXECUTION_TIME_S === undefined
      ? {}
      : { maxExecutionTimeS: e.QUERY_MAX_EXECUTION_TIME_S }),
    ...(e.QUERY_MAX_MEMORY_BYTES === undefined ? {} : { maxMemoryBytes: e.QUERY_MAX_MEMORY_BYTES }),
    ...(e.QUERY_MAX_RESULT_ROWS === undefined ? {} : { maxResultRows: e.QUERY_MAX_RESULT_ROWS }),
    ...(e.QUERY_MAX_CONCURRENT_READS === undefined
      ? {}
      : { maxConcurrentReads: e.QUERY_MAX_CONCURRENT_READS }),
  }
  if (Object.keys(reads).length > 0) warehouse.reads = reads
  return {
    port: e.QUERY_PORT,
    warehouse,
    readKeysFile: e.READ_KEYS_FILE,
    logLevel: e.LOG_LEVEL,
    authThrottle: { burst: e.QUERY_AUTH_FAILURE_BURST, refillS: e.QUERY_AUTH_FAILURE_REFILL_S },
    keyConcurrency: { maxInFlight: e.QUERY_MAX_IN_FLIGHT_PER_KEY, retryAfterS: 1 },
    ...(e.QUERY_METRICS_TOKEN === undefined ? {} : { metricsToken: e.QUERY_METRICS_TOKEN }),
  }
}
