import type { Context } from 'hono'
import type { ClientIpOf } from '../client-ip.ts'
import type { Guard, PreAuthGuard } from '../pipeline/surface.ts'
import { type AppEnv, fail } from '../respond.ts'
import { limiterIpKey } from './client-ip.ts'
import type { RateLimiter } from './durable-object.ts'
import { limiterNamer } from './names.ts'
import type { Verdict } from './window.ts'

/** Counts one request against `name`; the port the guard needs (a Durable Object in production). */
export interface Limiter {
  /** `defer` keeps background work (a reconciliation) alive past the response (waitUntil). */
  hit(
    name: string,
    limit: number,
    windowMs: number,
    now: number,
    defer?: (work: Promise<unknown>) => void,
  ): Promise<Verdict>
}

export function durableObjectLimiter(namespace: DurableObjectNamespace<RateLimiter>): Limiter {
  return {
    hit: async (name, limit, windowMs, now) =>
      namespace.get(namespace.idFromName(name)).hit(limit, windowMs, now),
  }
}

/**
 * Requests per window the limiter counted for this request's client IP, kept per request so
 * the bot verdict can use the rate as a signal (a WeakMap: nothing outlives the request).
 */
export const observedIpRate = new WeakMap<Request, number>()

/** Per client IP and minute before the site is known (a key carried in the body): any site. */
export const DEFAULT_ANONYMOUS_PER_IP_PER_MINUTE = 6_000

export interface RateLimitGuardOptions {
  limiter: Limiter
  now: () => number
  /** The visitor's IP as the edge's client-IP policy reads it; undefined = not counted per IP. */
  clientIp: ClientIpOf
  /** Secret the limiter object names are keyed with (names.ts). */
  nameSecret: string
  /** The site settings say "per minute"; tests may shrink it. */
  windowMs?: number
  /**
   * How long a limiter answer may take before the request goes ahead without one. A slow
   * limiter may delay ingestion a little; it must not stall it.
   */
  timeoutMs?: number
  anonymousPerIpPerMinute?: number
}

export interface RateLimitStats {
  /** Requests let through because the limiter failed or was too slow (fail-open). */
  failedOpen: number
  limited: number
}

export interface RateLimitGuard extends Guard {
  stats: RateLimitStats
  /** The per-IP check for requests whose key is only in the body: runs before it is read. */
  beforeKey: PreAuthGuard
}

interface Check {
  key: string
  limit: number
  what: string
}

/**
 * Per client IP (scoped to the site) and per write key limits from the site's settings,
 * asked in that order: a request refused for its IP is not counted against the key, so one
 * abusive address cannot spend a site's whole key budget. Fails open: the limiter is a
 * protection for us, and our outage must never become the client's 5xx or lost events.
 */
export function rateLimitGuard(options: RateLimitGuardOptions): RateLimitGuard {
  const windowMs = options.windowMs ?? 60_000
  const timeoutMs = options.timeoutMs ?? 1_000
  const anonymousLimit = options.anonymousPerIpPerMinute ?? DEFAULT_ANONYMOUS_PER_IP_PER_MINUTE
  const hashName = limiterNamer(options.nameSecret)
  // Names are a keyed hash per limiter key: computed once per key, not per request.
  const names = new Map<string, Promise<string>>()
  const nameOf = (key: string) => {
    let name = names.get(key)
    if (!name) {
      if (names.size >= 10_000) names.clear()
      name = hashName(key)
      names.set(key, name)
      name.catch(() => names.delete(key))
    }
    return name
  }
  const stats: RateLimitStats = { failedOpen: 0, limited: 0 }

  /** The first refusal among the checks, in order; each is asked only if the ones before allowed it. */
  async function enforce(c: Context<AppEnv>, checks: Check[], siteId: string | undefined) {
    const now = options.now()
    for (const [i, check] of checks.entries()) {
      let verdict: Verdict
      try {
        const name = await nameOf(check.key)
        verdict = await withTimeout(
          options.limiter.hit(name, check.limit, windowMs, now, (work) => deferOf(c)?.(work)),
          timeoutMs,
        )
      } catch (err) {
        stats.failedOpen += 1
        // No key or IP in the log (redaction rule); the site is enough to find the traffic.
        console.warn(
          JSON.stringify({
            msg: 'rate limiter unavailable; request let through',
            site_id: siteId,
            request_id: c.get('requestId'),
            error: String(err),
            failed_open_total: stats.failedOpen,
          }),
        )
        return undefined
      }
      if (i === 0 && check.what === 'client IP' && verdict.allowed) {
        observedIpRate.set(c.req.raw, check.limit - verdict.remaining)
      }
      if (!verdict.allowed) return refuse(c, check, verdict)
    }
    return undefined
  }

  function refuse(c: Context<AppEnv>, check: Check, verdict: Verdict): Response {
    stats.limited += 1
    const retryAfterS = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))
    const perWindow = windowMs === 60_000 ? 'per minute' : `per ${windowMs} ms`
    return fail(
      c,
      'rate_limited',
      `too many requests for this ${check.what} (limit ${check.limit} ${perWindow}); retry after ${retryAfterS} s`,
      {},
      retryAfterS,
    )
  }

  const guard = async (c: Context<AppEnv>, site: Parameters<Guard>[1], writeKey: string) => {
    const limits = site.settings.rate_limit
    const checks: Check[] = []
    const ip = options.clientIp(c.req.raw)
    if (ip) {
      const scoped = `ip:${site.siteId}:${limiterIpKey(ip)}`
      checks.push({ key: scoped, limit: limits.per_ip_per_minute, what: 'client IP' })
    }
    checks.push({ key: `key:${writeKey}`, limit: limits.per_key_per_minute, what: 'write key' })
    return enforce(c, checks, site.siteId)
  }
  const beforeKey: PreAuthGuard = async (c) => {
    const ip = options.clientIp(c.req.raw)
    if (!ip) return undefined
    const check = { key: `ip:*:${limiterIpKey(ip)}`, limit: anonymousLimit, what: 'client IP' }
    return enforce(c, [check], undefined)
  }
  return Object.assign(guard, { stats, beforeKey })
}

/** waitUntil of the request, where the runtime has one (workerd); absent in plain Hono tests. */
function deferOf(c: Context<AppEnv>): ((work: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx
    return (work) => ctx.waitUntil(work)
  } catch {
    return undefined
  }
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
