import type { Context, Hono } from 'hono'
import { extractWriteKey, isPlausibleWriteKey } from '../auth.ts'
import { type AppEnv, DEFAULT_RETRY_AFTER_S, fail } from '../respond.ts'
import { isRevoked, type Site, type SiteDirectory } from '../sites.ts'
import { decodePostHog } from '../surfaces/posthog-decode.ts'

/**
 * The configuration each compatible browser library fetches before (or while) it sends
 * events, answered from the site's settings so the libraries run unmodified against the edge
 * (docs/compat.md). Nothing secret is in them: only the public write key, the edge's own
 * address and fixed capability flags. Browsers may cache them for CONFIG_MAX_AGE_S; the site
 * lookup behind them is the directory's (Workers KV with a bounded per-isolate cache).
 */
export const CONFIG_MAX_AGE_S = 300
const CONFIG_CACHE = `public, max-age=${CONFIG_MAX_AGE_S}`

export interface ClientConfigRoute {
  method: 'GET' | 'POST'
  path: string
}

/** Every config path, for the method guard and the OpenAPI route check. */
export const CLIENT_CONFIG_ROUTES: ClientConfigRoute[] = [
  { method: 'GET', path: '/array/:token/config' },
  { method: 'GET', path: '/array/:token/config.js' },
  ...['/flags', '/flags/', '/decide', '/decide/'].flatMap((path): ClientConfigRoute[] => [
    { method: 'POST', path },
    { method: 'GET', path },
  ]),
  { method: 'GET', path: '/v1/projects/:writeKey/settings' },
  { method: 'GET', path: '/sourceConfig' },
  { method: 'GET', path: '/sourceConfig/' },
]

async function siteFor(c: Context<AppEnv>, sites: SiteDirectory, key: string | undefined) {
  if (!key) return fail(c, 'missing_write_key', 'name the write key (project token) in the path or query')
  if (!isPlausibleWriteKey(key)) return fail(c, 'unknown_write_key', 'the write key is not known')
  let site: Site | undefined
  try {
    site = await sites.byWriteKey(key)
  } catch {
    return fail(
      c,
      'site_config_unavailable',
      'site configuration is unavailable; retry later',
      {},
      DEFAULT_RETRY_AFTER_S,
    )
  }
  if (!site) return fail(c, 'unknown_write_key', 'the write key is not known')
  if (isRevoked(site, key))
    return fail(c, 'revoked_write_key', "the write key was revoked; use the site's current write key")
  return site
}

/** PostHog's remote config: no flags, no recordings or surveys, both compressions, autocapture as the client chooses. */
function posthogConfig(token: string) {
  return {
    token,
    supportedCompression: ['gzip', 'gzip-js'],
    hasFeatureFlags: false,
    autocapture_opt_out: false,
    autocaptureExceptions: false,
    captureDeadClicks: false,
    capturePerformance: false,
    heatmaps: false,
    surveys: false,
    sessionRecording: false,
    elementsChainAsString: true,
    siteApps: [],
  }
}

/** What `/flags` (and the older `/decide`) answer: no flags, the same config. */
function posthogFlags(token: string) {
  return {
    ...posthogConfig(token),
    flags: {},
    featureFlags: {},
    featureFlagPayloads: {},
    errorsWhileComputingFlags: false,
    quotaLimited: [],
    config: { enable_collect_everything: true },
  }
}

/** Segment's project settings; `Segment.io` sends everything back to this edge's `/v1`. */
function segmentSettings(c: Context<AppEnv>, writeKey: string) {
  const url = new URL(c.req.url)
  return {
    integrations: {
      'Segment.io': {
        apiKey: writeKey,
        apiHost: `${url.host}/v1`,
        protocol: url.protocol.replace(':', ''),
        addBundledMetadata: false,
        unbundledIntegrations: [],
      },
    },
    plan: { track: { __default: { enabled: true, integrations: {} } } },
    // sampleRate 0: analytics.js would otherwise post its own metrics to Segment's host.
    metrics: { sampleRate: 0 },
    middlewareSettings: {},
    enabledMiddleware: {},
    legacyVideoPluginsEnabled: false,
    remotePlugins: [],
  }
}

/** RudderStack's source config: one enabled source, no device-mode destinations, no telemetry. */
function rudderstackConfig(site: Site, writeKey: string) {
  return {
    isHosted: false,
    source: {
      id: site.siteId,
      name: site.siteId,
      writeKey,
      enabled: true,
      workspaceId: site.siteId,
      config: { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } },
      destinations: [],
    },
    updatedAt: new Date(0).toISOString(),
  }
}

export function registerClientConfigRoutes(app: Hono<AppEnv>, sites: SiteDirectory): void {
  const json = (c: Context<AppEnv>, body: unknown) => {
    c.header('cache-control', CONFIG_CACHE)
    return c.json(body)
  }
  const posthogRemote = async (c: Context<AppEnv>, asScript: boolean) => {
    const token = c.req.param('token')
    const site = await siteFor(c, sites, token)
    if (site instanceof Response) return site
    if (!asScript) return json(c, posthogConfig(token!))
    // config.js: what posthog-js loads as a script when it cannot fetch JSON.
    const body = `(function(){window._POSTHOG_REMOTE_CONFIG=window._POSTHOG_REMOTE_CONFIG||{};window._POSTHOG_REMOTE_CONFIG[${JSON.stringify(token)}]={config:${JSON.stringify(posthogConfig(token!))},siteApps:[]}})();`
    c.header('cache-control', CONFIG_CACHE)
    return c.body(body, 200, { 'content-type': 'application/javascript; charset=utf-8' })
  }
  app.get('/array/:token/config', (c) => posthogRemote(c, false))
  app.get('/array/:token/config.js', (c) => posthogRemote(c, true))
  const flags = async (c: Context<AppEnv>) => {
    let token = c.req.query('token') ?? c.req.query('api_key')
    if (!token && c.req.method === 'POST') {
      const decoded = await decodePostHog(c.req.raw)
      if (!decoded.ok) return fail(c, decoded.code, decoded.message)
      token = decoded.value.writeKey
    }
    const site = await siteFor(c, sites, token)
    if (site instanceof Response) return site
    // Flags depend on the person, so this answer is not cached.
    return c.json(posthogFlags(token!))
  }
  for (const path of ['/flags', '/flags/', '/decide', '/decide/']) {
    app.post(path, flags)
    app.get(path, flags)
  }
  app.get('/v1/projects/:writeKey/settings', async (c) => {
    const key = c.req.param('writeKey')
    const site = await siteFor(c, sites, key)
    if (site instanceof Response) return site
    return json(c, segmentSettings(c, key))
  })
  const sourceConfig = async (c: Context<AppEnv>) => {
    const key = c.req.query('writeKey') ?? extractWriteKey(c.req.raw.headers)
    const site = await siteFor(c, sites, key)
    if (site instanceof Response) return site
    return json(c, rudderstackConfig(site, key!))
  }
  app.get('/sourceConfig', sourceConfig)
  app.get('/sourceConfig/', sourceConfig)
}
