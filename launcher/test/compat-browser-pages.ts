import { readFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'

/**
 * The test pages for the browser libraries: each library's own built file, served from
 * node_modules by a local static server (no CDN), initialised only with documented options
 * pointing at the edge. Every page exposes `window.step(name)` so the test drives the same
 * five calls through each library: pageview (on load), track, identify, SPA navigation, close.
 */
const require = createRequire(import.meta.url)

/** The built files each page loads, by URL path. */
export const LIBRARY_FILES: Record<string, string> = {
  // array.full.js: posthog-js with its extensions bundled, so it loads nothing more.
  '/lib/posthog.js': require.resolve('posthog-js/dist/array.full.js'),
  '/lib/segment.js': require.resolve('@segment/analytics-next/dist/umd/index.js'),
  // The bundled build: its plugins are inside, so it loads nothing from RudderStack's CDN.
  '/lib/rudderstack.js': join(
    dirname(require.resolve('@rudderstack/analytics-js')),
    '..',
    'bundled',
    'umd',
    'index.js',
  ),
}

export const LIBRARIES = ['posthog', 'segment', 'rudderstack'] as const
export type Library = (typeof LIBRARIES)[number]

function posthogInit(edge: string, key: string): string {
  return `posthog.init(${JSON.stringify(key)}, {
    api_host: ${JSON.stringify(edge)},
    capture_pageview: 'history_change',
    capture_pageleave: true,
    person_profiles: 'identified_only',
    // Documented for end-to-end tests: automated Chromium otherwise counts as a bot.
    opt_out_useragent_filter: true,
  })
  window.anonymousId = () => posthog.get_distinct_id()
  window.step = (name) => {
    if (name === 'track') posthog.capture('Signed Up', { plan: 'pro', seats: 3 })
    if (name === 'identify') posthog.identify(window.userId, { email: 'ph@example.com', plan: 'pro' })
    if (name === 'navigate') history.pushState({}, '', '/pricing?utm_source=spa&utm_medium=nav')
  }`
}

function segmentInit(edge: string, key: string): string {
  // cdnURL: where analytics.js fetches its settings (the edge answers them). keepalive lets
  // the close event outlive the page. The close event is tracked from beforeunload, not
  // pagehide: analytics.js queues through an async plugin chain and keeps what is still
  // queued at pagehide in localStorage, so an event must be queued before pagehide runs.
  return `const analytics = AnalyticsNext.AnalyticsBrowser.load(
    { writeKey: ${JSON.stringify(key)}, cdnURL: ${JSON.stringify(edge)} },
    { integrations: { 'Segment.io': { deliveryStrategy: { config: { keepalive: true } } } } },
  )
  window.anonymousId = async () => (await analytics.user()).anonymousId()
  analytics.page()
  window.step = (name) => {
    if (name === 'track') analytics.track('Signed Up', { plan: 'pro', seats: 3 })
    if (name === 'identify') analytics.identify(window.userId, { email: 'seg@example.com', plan: 'pro' })
    if (name === 'navigate') {
      history.pushState({}, '', '/pricing?utm_source=spa&utm_medium=nav')
      analytics.page()
    }
  }
  addEventListener('beforeunload', () => { analytics.track('Page Closed') })`
}

function rudderstackInit(edge: string, key: string, beacon: boolean): string {
  return `const rudderanalytics = new window.rudderanalytics.RudderAnalytics()
  rudderanalytics.load(${JSON.stringify(key)}, ${JSON.stringify(edge)}, {
    configUrl: ${JSON.stringify(edge)},
    ${beacon ? 'useBeacon: true,' : ''}
  })
  window.anonymousId = () => rudderanalytics.getAnonymousId()
  rudderanalytics.page()
  window.step = (name) => {
    if (name === 'track') rudderanalytics.track('Signed Up', { plan: 'pro', seats: 3 })
    if (name === 'identify') rudderanalytics.identify(window.userId, { email: 'rs@example.com', plan: 'pro' })
    if (name === 'navigate') {
      history.pushState({}, '', '/pricing?utm_source=spa&utm_medium=nav')
      rudderanalytics.page()
    }
  }
  addEventListener('pagehide', () => rudderanalytics.track('Page Closed'))`
}

function pageHtml(library: string, edge: string, key: string, userId: string): string {
  const [name, variant] = library.split('-')
  const init =
    name === 'posthog'
      ? posthogInit(edge, key)
      : name === 'segment'
        ? segmentInit(edge, key)
        : rudderstackInit(edge, key, variant === 'beacon')
  return `<!doctype html><html><head><title>${library} page</title>
<script src="/lib/${name}.js"></script></head><body><h1>${library}</h1>
<script>window.userId = ${JSON.stringify(userId)}
${init}</script></body></html>`
}

/** Serves `/<library>/…` as that library's page and `/lib/*.js` from node_modules. */
export async function startPageServer(edge: string, key: string, userIdOf: (library: string) => string) {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pages.local')
    const file = LIBRARY_FILES[url.pathname]
    if (file) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file))
      return
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    const library = url.pathname.split('/')[1] ?? ''
    if (!/^(posthog|segment|rudderstack)(-beacon)?$/.test(library)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(pageHtml(library, edge, key, userIdOf(library)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

export interface EdgeHit {
  method: string
  path: string
  status: number
}

/**
 * A recording pass-through in front of the edge: every request any page makes to the edge
 * (beacons sent while a page unloads included, which the browser API cannot observe) is
 * logged with the edge's answer. The Host header is kept, so URLs the edge builds from it
 * (Segment's apiHost) point back through the recorder.
 */
export async function startEdgeRecorder(
  edgeUrl: string,
): Promise<{ url: string; server: Server; hits: EdgeHit[] }> {
  const edge = new URL(edgeUrl)
  const hits: EdgeHit[] = []
  const server = createServer((incoming, outgoing) => {
    const upstream = request(
      {
        host: edge.hostname,
        port: edge.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        hits.push({ method: incoming.method ?? '', path: incoming.url ?? '', status: answer.statusCode ?? 0 })
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    upstream.on('error', () => {
      hits.push({ method: incoming.method ?? '', path: incoming.url ?? '', status: 502 })
      outgoing.writeHead(502).end()
    })
    incoming.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits }
}
