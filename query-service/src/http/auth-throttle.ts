/**
 * A budget of failed read-key attempts per client address: a token bucket holding `burst`
 * failures that refills one every `refillS` seconds. An address with an empty bucket is
 * refused before its key is even looked up, so guessing keys costs an attacker time
 * rather than being free (1,000 wrong keys in a few seconds were all answered 401 before).
 * Successful requests spend nothing. State is in memory only and capped in size: the
 * oldest address is forgotten first, so a flood of addresses cannot grow it without bound.
 */
export interface AuthThrottleOptions {
  burst: number
  refillS: number
  /** Most addresses remembered at once. */
  maxAddresses?: number
  /** Milliseconds, monotonic; injectable for tests. */
  now?: () => number
}

interface Bucket {
  tokens: number
  at: number
}

export interface AuthThrottle {
  /** Seconds the address must wait before its next attempt, or 0 when it may try now. */
  waitS(address: string): number
  /** Spends one attempt of the address's budget. */
  fail(address: string): void
}

export function authThrottle(options: AuthThrottleOptions): AuthThrottle {
  const { burst, refillS } = options
  const maxAddresses = options.maxAddresses ?? 10_000
  const now = options.now ?? (() => performance.now())
  const buckets = new Map<string, Bucket>()

  const current = (address: string): Bucket | undefined => {
    const bucket = buckets.get(address)
    if (bucket === undefined) return undefined
    const t = now()
    const refilled = Math.min(burst, bucket.tokens + (t - bucket.at) / (refillS * 1000))
    if (refilled >= burst) {
      buckets.delete(address)
      return undefined
    }
    bucket.tokens = refilled
    bucket.at = t
    return bucket
  }

  return {
    waitS(address) {
      const bucket = current(address)
      if (bucket === undefined || bucket.tokens >= 1) return 0
      return Math.max(1, Math.ceil((1 - bucket.tokens) * refillS))
    },
    fail(address) {
      const bucket = current(address) ?? { tokens: burst, at: now() }
      bucket.tokens = Math.max(0, bucket.tokens - 1)
      // Re-inserting moves the address to the end: the map's order is least recently failed first.
      buckets.delete(address)
      buckets.set(address, bucket)
      if (buckets.size > maxAddresses) buckets.delete(buckets.keys().next().value!)
    },
  }
}
