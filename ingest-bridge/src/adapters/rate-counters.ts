// The receiver's quota counters, chosen from config: in memory (one receiver, or a limit per
// bridge) or Redis (shared, so every bridge enforces one limit per site; ADR 0032).
import { connectRedis, memoryCounters, type RateCounters, redisCounters } from '@sightline/state'

export type RateCountersConfig = { kind: 'memory' } | { kind: 'redis'; url: string; prefix?: string }

export interface OpenedRateCounters {
  counters: RateCounters
  close(): Promise<void>
}

/**
 * How long one quota round trip may take before the check fails open. Short, because it sits
 * in front of every append: a Redis that hangs must not push a batch past the edge's 3 s
 * attempt timeout (which would send it to another bridge that waits too).
 */
export const QUOTA_COMMAND_TIMEOUT_MS = 250

/** How long a starting receiver waits for Redis before it serves with the quota degraded. */
const FIRST_CONNECT_WAIT_MS = 2_000

export async function openRateCounters(
  config: RateCountersConfig = { kind: 'memory' },
): Promise<OpenedRateCounters> {
  if (config.kind === 'memory') return { counters: memoryCounters(), close: async () => undefined }
  // In the background: the quota fails open, so a Redis that is away must not keep the
  // receiver from starting; checks count as degraded until it answers. A Redis that is up
  // is given a moment, so a fresh bridge does not start out degraded.
  const client = await connectRedis(config.url, {
    commandTimeoutMs: QUOTA_COMMAND_TIMEOUT_MS,
    background: true,
  })
  await new Promise<void>((resolve) => {
    if (client.status === 'ready') return resolve()
    const timer = setTimeout(done, FIRST_CONNECT_WAIT_MS)
    client.once('ready', done)
    function done() {
      clearTimeout(timer)
      client.off('ready', done)
      resolve()
    }
  })
  return {
    counters: redisCounters(client, config.prefix ? { prefix: config.prefix } : {}),
    close: async () => {
      client.disconnect()
    },
  }
}
