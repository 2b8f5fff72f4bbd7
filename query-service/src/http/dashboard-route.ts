import type { RequestIdEnv } from '@sightline/http'
import type { Context, Hono } from 'hono'
import type { DashboardAssets, StaticAsset } from '../ports.ts'

/**
 * The dashboard's pages. Static files built before the service starts (docs/dashboard.md,
 * ADR 0024): nothing is rendered here, the page reads the public API with the user's key.
 * Without a build the service still answers every API route; the dashboard's paths say
 * how to get one instead of a bare 404.
 */
export const DASHBOARD_PATH = '/dashboard/'

// The page may only talk to the origin it came from (the API, and the live WebSocket: CSP
// Level 3 lets 'self' match ws: on the same host). No inline scripts, no third parties.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

export function mountDashboard(app: Hono<RequestIdEnv>, assets: DashboardAssets): void {
  app.get('/', (c) => c.redirect(DASHBOARD_PATH, 302))
  app.get('/dashboard', (c) => c.redirect(DASHBOARD_PATH, 301))
  if ('missing' in assets) {
    const page = missingPage(assets.missing)
    app.get('/dashboard/*', (c) => {
      c.header('cache-control', 'no-store')
      return c.html(page, 503)
    })
    return
  }
  app.get('/dashboard/*', (c) => {
    const name = c.req.path.slice(DASHBOARD_PATH.length) || 'index.html'
    // Unknown paths under /dashboard/ are the app's own views: index.html routes them.
    const asset = assets.files.get(name) ?? (name.includes('.') ? undefined : assets.files.get('index.html'))
    if (asset === undefined) return c.notFound()
    return send(c, asset)
  })
}

function send(c: Context, asset: StaticAsset): Response {
  const headers = new Headers({
    'content-type': asset.type,
    // Hashed names never change content; index.html is checked every time (ETag).
    'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    etag: asset.etag,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CSP,
    vary: 'accept-encoding',
  })
  if (c.req.header('if-none-match') === asset.etag) return new Response(null, { status: 304, headers })
  const gzip = asset.gzip !== undefined && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')
  if (gzip) headers.set('content-encoding', 'gzip')
  const body = gzip ? asset.gzip! : asset.body
  headers.set('content-length', String(body.byteLength))
  return new Response(c.req.method === 'HEAD' ? null : body, { status: 200, headers })
}

function missingPage(reason: string): string {
  const text = reason.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Sightline dashboard not built</title>
<body style="font:16px system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">
<h1>The dashboard is not built</h1><p>${text}</p>
<p>The query API works without it: see docs/api.md.</p></body></html>`
}
