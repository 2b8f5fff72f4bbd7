import { errorBody } from '@sightline/contracts'
import { createApp } from './app.ts'
import { BridgeHealth } from './bridge-health.ts'
import { parseConfig } from './config.ts'
import { createEnricher } from './enrich.ts'
import type { Guard } from './pipeline/surface.ts'
import type { RateLimiter } from './rate-limit/durable-object.ts'
import { durableObjectLimiter, observedIpRate, rateLimitGuard } from './rate-limit/guard.ts'
import { staticSites } from './sites.ts'
import { kvSites } from './sites-kv.ts'

// The Durable Object class must be exported by the main module for the runtime to find it.
export { RateLimiter } from './rate-limit/durable-object.ts'

/** Bindings (not vars): present when wrangler.jsonc declares them, absent in bare workerd setups. */
interface Bindings {
  SITES_KV?: KVNamespace
  RATE_LIMITER?: DurableObjectNamespace<RateLimiter>
}

type App = ReturnType<typeof createApp>

/**
 * Composition root. A module Worker only sees its env inside fetch, so config is parsed on
 * the first request and the app is kept per env object (one per isolate in practice).
 */
const apps = new WeakMap<object, App | Error>()

function appFor(env: unknown): App | Error {
  const key = (env ?? {}) as object
  let app = apps.get(key)
  if (!app) {
    const parsed = parseConfig(env)
    if (parsed.ok) {
      const { config } = parsed
      const bindings = key as Bindings
      const now = () => Date.now()
      const fromVars = staticSites(config.sites)
      const guards: Guard[] = []
      // Without the binding there is nothing to count with; the edge then runs unlimited
      // (deploys always declare it; see wrangler.jsonc and docs/adr/0005).
      if (bindings.RATE_LIMITER) {
        guards.push(rateLimitGuard({ limiter: durableObjectLimiter(bindings.RATE_LIMITER), now }))
      }
      app = createApp({
        sites: bindings.SITES_KV ? kvSites(bindings.SITES_KV, { now, fallback: fromVars }) : fromVars,
        bridges: config.bridges,
        signing: config.signing,
        now,
        guards,
        health: new BridgeHealth(),
        // The limiter's per-IP count doubles as the bot verdict's request-rate signal.
        enrich: createEnricher({
          ...config.enrichment,
          requestRate: (request) => observedIpRate.get(request),
        }),
        // Bound explicitly: workerd refuses a fetch called with a foreign `this`.
        fetch: (input, init) => fetch(input, init),
      })
    } else {
      app = parsed.error
      console.error(parsed.error.message)
    }
    apps.set(key, app)
  }
  return app
}

export default {
  fetch(request, env, ctx) {
    const app = appFor(env)
    if (app instanceof Error) {
      // A misconfigured edge must not look like a client mistake; the details are in the logs.
      const requestId = request.headers.get('cf-ray') || crypto.randomUUID()
      const body = errorBody('internal', 'the edge worker is misconfigured; see its logs', requestId)
      return Response.json(body, { status: 500, headers: { 'x-request-id': requestId } })
    }
    return app.fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Record<string, unknown>>
