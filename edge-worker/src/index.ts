import { errorBody } from '@sightline/contracts'
import { createApp } from './app.ts'
import { parseConfig } from './config.ts'
import { staticSites } from './sites.ts'

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
      app = createApp({
        sites: staticSites(config.sites),
        bridges: config.bridges,
        signing: config.signing,
        now: () => Date.now(),
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
