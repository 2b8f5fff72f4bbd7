import { errorBody } from '@sightline/contracts'
import { createApp } from './app.ts'
import { BridgeHealth } from './bridge-health.ts'
import { clientIpPolicy } from './client-ip.ts'
import { parseConfig } from './config.ts'
import { createEnricher } from './enrich.ts'
import type { Guard, PreAuthGuard } from './pipeline/surface.ts'
import type { RateLimiter } from './rate-limit/durable-object.ts'
import { observedIpRate, rateLimitGuard } from './rate-limit/guard.ts'
import { durableObjectCounts, locallyReconciledLimiter } from './rate-limit/local.ts'
import { requestIdFrom } from './request-id.ts'
import { staticSites } from './sites.ts'
import { kvSites } from './sites-kv.ts'
import { remoteSites } from './sites-remote.ts'

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
      const clientIp = clientIpPolicy(config.enrichment.clientIp)
      const guards: Guard[] = []
      const preAuthGuards: PreAuthGuard[] = []
      // Without the binding there is nothing to count with; the edge then runs unlimited
      // (deploys always declare it; see wrangler.jsonc and docs/adr/0005).
      if (bindings.RATE_LIMITER) {
        const limiter = rateLimitGuard({
          // Decided in the isolate, pooled through the Durable Object once a second per key
          // (docs/adr/0018): no object round trip in front of any request.
          limiter: locallyReconciledLimiter({ shared: durableObjectCounts(bindings.RATE_LIMITER) }),
          now,
          clientIp,
          nameSecret: config.signing.secret,
        })
        guards.push(limiter)
        preAuthGuards.push(limiter.beforeKey)
      }
      // The hub's edge view when one is named (embedded), else KV (Cloudflare), else SITES.
      const sites = config.sitesUrl
        ? remoteSites({
            ...config.sitesUrl,
            now,
            fallback: fromVars,
            fetch: (input, init) => fetch(input, init),
          })
        : bindings.SITES_KV
          ? kvSites(bindings.SITES_KV, { now, fallback: fromVars })
          : fromVars
      app = createApp({
        sites,
        bridges: config.bridges,
        signing: config.signing,
        now,
        guards,
        preAuthGuards,
        clientIp,
        health: new BridgeHealth(),
        // The limiter's per-IP count doubles as the bot verdict's request-rate signal.
        enrich: createEnricher({
          ...config.enrichment,
          clientIp,
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

/**
 * Methods the app routes. Anything else (CONNECT, WebDAV verbs, made-up tokens) is answered
 * here: the runtime cannot even build a Request with some of them, so they must not reach
 * code that copies the request.
 */
const ROUTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'PATCH', 'DELETE'])

export default {
  fetch(request, env, ctx) {
    if (!ROUTED_METHODS.has(request.method)) {
      const requestId = requestIdFrom(request.headers)
      const body = errorBody(
        'method_not_allowed',
        `${request.method.slice(0, 20)} is not allowed here`,
        requestId,
      )
      return Response.json(body, {
        status: 405,
        headers: { 'x-request-id': requestId, allow: 'GET, POST, OPTIONS' },
      })
    }
    const app = appFor(env)
    if (app instanceof Error) {
      // A misconfigured edge must not look like a client mistake; the details are in the logs.
      const requestId = requestIdFrom(request.headers)
      const body = errorBody('internal', 'the edge worker is misconfigured; see its logs', requestId)
      return Response.json(body, { status: 500, headers: { 'x-request-id': requestId } })
    }
    return app.fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Record<string, unknown>>
