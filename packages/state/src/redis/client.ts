import { Redis, type RedisOptions } from 'ioredis'

export interface RedisConnectOptions {
  /** Longest wait for one command before it fails (the fail-open/closed rules apply then). */
  commandTimeoutMs?: number
  /** Upper bound of the reconnect backoff. */
  maxReconnectDelayMs?: number
  /** Extra ioredis options (tests, TLS). */
  redis?: RedisOptions
  /**
   * Return at once instead of waiting for the first connection, which is then made (and
   * retried) in the background; commands fail until it is up. For callers that fail open
   * (the quota) and must not refuse to start while Redis is away.
   */
  background?: boolean
}

/**
 * One connection for the state adapters, tuned so that a Redis outage is an error *now*
 * rather than a growing queue: no offline queue (commands issued while disconnected fail at
 * once), one attempt per command, a command timeout, and no automatic resend of commands
 * whose reply was lost with the connection (a resent claim could land on a restarted,
 * empty Redis; the dedup store checks the epoch instead). Reconnects forever with backoff.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const maxDelay = options.maxReconnectDelayMs ?? 2_000
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: 5_000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    ...options.redis,
  })
  // Without a listener ioredis prints every reconnect failure; the adapters report errors
  // through their own results instead.
  client.on('error', () => {})
  const connecting = client.connect()
  if (options.background) connecting.catch(() => {})
  else await connecting
  return client
}
