import type { Context } from 'hono'
import type { Guard } from '../pipeline/surface.ts'
import { type AppEnv, fail } from '../respond.ts'
import { clientIpKey } from './client-ip.ts'
import type { RateLimiter } from './durable-object.ts'
import type { Verdict } from './window.ts'

/** Counts one request against `key`; the port the guard needs (a Durable Object in production). */
export interface Limiter {
  hit(key: string, limit: number, windowMs: number, now: number): Promise<Verdict>
}

export function durableObjectLimiter(namespace: DurableObjectNamespace<RateLimiter>): Limiter {
  return {
    hit: async (key, limit, windowMs, now) =>
      namespace.get(namespace.idFromName(key)).hit(limit, windowMs, now),
  }
}

/**
 * Requests per window the limiter counted for this request's client IP, kept per request so
 * the bot verdict can use the rate as a signal (a WeakMap: nothing outlives the request).
 */
export const observedIpRate = new WeakMap<Request, number>()

export interface RateLimitGuardOptions {
  limiter: Limiter
  now: () => number
  /** The site settings say "per minute"; tests may shrink it. */
  windowMs?: number
  /**
   * How long a limiter answer may take before the request goes ahead without one. A slow
   * limiter may delay ingestion a little; it must not stall it.
   */
  timeoutMs?: number
}

export interface RateLimitStats {
  /** Requests let through because the limiter failed or was too slow (fail-open). */
  failedOpen: number
  limited: number
}

export interface RateLimitGuard extends Guard {
  stats: RateLimitStats
}

/**
 * Per write key and per client IP (scoped to the site) limits from the site's settings.
 * Fails open: the limiter is a protection for us, and our outage must never become the
 * client's 5xx or lost events. Both counters are asked at once so a hit costs one round trip.
 */
export function rateLimitGuard(options: RateLimitGuardOptions): RateLimitGuard {
  const windowMs = options.windowMs ?? 60_000
  const timeoutMs = options.timeoutMs ?? 1_000
  const stats: RateLimitStats = { failedOpen: 0, limited: 0 }
  const guard = async (c: Context<AppEnv>, site: Parameters<Guard>[1], writeKey: string) => {
    const now = options.now()
    const limits = site.settings.rate_limit
    const checks = [{ key: `key:${writeKey}`, limit: limits.per_key_per_minute, what: 'write key' }]
    const ip = clientIpKey(c.req.raw.headers)
    if (ip)
      checks.push({ key: `ip:${site.siteId}:${ip}`, limit: limits.per_ip_per_minute, what: 'client IP' })
    let verdicts: Verdict[]
    try {
      verdicts = await withTimeout(
        Promise.all(checks.map((ch) => options.limiter.hit(ch.key, ch.limit, windowMs, now))),
        timeoutMs,
      )
    } catch (err) {
      stats.failedOpen += 1
      // No key or IP in the log (redaction rule); the site is enough to find the traffic.
      console.warn(
        JSON.stringify({
          msg: 'rate limiter unavailable; request let through',
          site_id: site.siteId,
          request_id: c.get('requestId'),
          error: String(err),
          failed_open_total: stats.failedOpen,
        }),
      )
      return undefined
    }
    const ipVerdict = ip ? verdicts[1] : undefined
    if (ipVerdict?.allowed) observedIpRate.set(c.req.raw, limits.per_ip_per_minute - ipVerdict.remaining)
    const refused = checks
      .map((check, i) => ({ check, verdict: verdicts[i]! }))
      .filter((x) => !x.verdict.allowed)
    if (refused.length === 0) return undefined
    stats.limited += 1
    const retryAfterS = Math.max(1, ...refused.map((x) => Math.ceil(x.verdict.retryAfterMs / 1000)))
    const first = refused[0]!.check
    const perWindow = windowMs === 60_000 ? 'per minute' : `per ${windowMs} ms`
    return fail(
      c,
      'rate_limited',
      `too many requests for this ${first.what} (limit ${first.limit} ${perWindow}); retry after ${retryAfterS} s`,
      {},
      retryAfterS,
    )
  }
  return Object.assign(guard, { stats })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer)
  })
}
