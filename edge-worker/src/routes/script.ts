import { SDK_VERSION, SERVED_SCRIPTS, type ServedScript } from '@sightline/sdk-browser/served'
import type { Context, Hono } from 'hono'
import { type AppEnv, fail } from '../respond.ts'

/**
 * The browser SDK, served by the edge itself so the install is one tag:
 * `<script defer src="https://edge.example/s.js" data-key="wk_…"></script>`.
 *
 * - `/s.js`, `/s/<plugin>.js`: the current version, cached for an hour and revalidated by
 *   ETag, so a new release reaches every site within the hour without a snippet change;
 * - `/s/<version>/<file>.js`: pinned, cached for a year as immutable (for sites that want
 *   to choose when to upgrade, or subresource integrity).
 */
export const SCRIPT_CACHE = 'public, max-age=3600, stale-while-revalidate=86400'
export const PINNED_CACHE = 'public, max-age=31536000, immutable'

export function registerScriptRoutes(app: Hono<AppEnv>, scripts = SERVED_SCRIPTS, version = SDK_VERSION) {
  const serve = (c: Context<AppEnv>, name: string, cache: string) => {
    const script: ServedScript | undefined = scripts[name]
    if (!script) return fail(c, 'not_found', `no script named ${name}; see docs/sdk.md`)
    c.header('cache-control', cache)
    c.header('etag', script.etag)
    c.header('x-content-type-options', 'nosniff')
    c.header('x-sightline-sdk-version', version)
    if (c.req.header('if-none-match') === script.etag) return c.body(null, 304)
    return c.body(script.body, 200, { 'content-type': 'text/javascript; charset=utf-8' })
  }
  app.get('/s.js', (c) => serve(c, 's.js', SCRIPT_CACHE))
  app.get('/s/:file{[a-z0-9-]+\\.js}', (c) => serve(c, c.req.param('file'), SCRIPT_CACHE))
  app.get('/s/:version/:file{[a-z0-9-]+\\.js}', (c) =>
    c.req.param('version') === version
      ? serve(c, c.req.param('file'), PINNED_CACHE)
      : fail(c, 'not_found', `this edge serves SDK version ${version}, not ${c.req.param('version')}`),
  )
}
