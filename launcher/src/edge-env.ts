import { createHmac } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { edgeView, type Site } from '@sightline/metadata'
import type { DataLayout, InstallState } from './workspace.ts'

/**
 * The embedded edge's configuration (its vars): sites and write keys, the bridge to forward
 * to, and the signing secret.
 */
export function edgeVars(
  layout: DataLayout,
  state: InstallState,
  sites: readonly Site[],
  /** One bridge, or several in failover order (cluster mode). */
  bridgeUrl: string | readonly string[],
): Record<string, string> {
  const bridges = (typeof bridgeUrl === 'string' ? [bridgeUrl] : bridgeUrl).map((url, i) => ({
    url,
    region: 'local',
    priority: i + 1,
  }))
  return {
    // As of the start: the fallback while the hub's edge view (SITES_URL) cannot be reached.
    SITES: JSON.stringify(sites.map(edgeView)),
    ...sitesUrl(layout, state),
    BRIDGES: JSON.stringify(bridges),
    SIGNING_KEY_ID: state.signing.key_id,
    SIGNING_KEY: state.signing.key,
    // wrangler dev's request.cf is a placeholder (Austin, TX): let the bridge geolocate.
    TRUST_CF_GEO: 'false',
    // A local workerd passes on a client's own CF-Connecting-IP, so no client IP header is
    // believed unless a reverse proxy in front proves itself with the shared secret.
    CLIENT_IP_SOURCE: 'proxy',
    TRUSTED_PROXY_SECRET: trustedProxySecret(state),
  }
}

/** The vars as a dotenv file for `wrangler dev --env-file`. Written 0600: it holds a secret. */
export function writeEdgeEnv(layout: DataLayout, vars: Record<string, string>): string {
  const path = join(layout.root, 'edge.env')
  // Single-quoted dotenv values: JSON keeps its double quotes and no escapes are needed.
  const text = Object.entries(vars)
    .map(([k, v]) => `${k}='${v}'`)
    .join('\n')
  writeFileSync(path, `${text}\n`, { mode: 0o600 })
  return path
}

/**
 * The running hub's edge view of the sites: the embedded edge polls it (≤ 1 s cache), so a
 * site, key or setting changed with `npm run admin` reaches it without a restart.
 */
function sitesUrl(layout: DataLayout, state: InstallState): Record<string, string> {
  if (!existsSync(layout.admin)) return {}
  const { url } = JSON.parse(readFileSync(layout.admin, 'utf8')) as { url: string }
  return { SITES_URL: `${url}/admin/v1/edge/sites`, SITES_TOKEN: edgeSitesToken(state) }
}

/**
 * What a reverse proxy in front of the embedded edge sends as `X-Sightline-Proxy-Secret` so
 * the edge believes its `X-Real-IP` / `X-Forwarded-For` (docs/enrichment.md). Derived from
 * the install's signing key, so it needs no state of its own and changes when that key does.
 */
export function trustedProxySecret(state: Pick<InstallState, 'signing'>): string {
  return createHmac('sha256', state.signing.key).update('sightline trusted proxy v1').digest('base64url')
}

/**
 * The embedded edge's token for the hub's `GET /admin/v1/edge/sites` (read-only: the edge
 * view holds no secret but the sites' write keys). Derived like the proxy secret.
 */
export function edgeSitesToken(state: Pick<InstallState, 'signing'>): string {
  return createHmac('sha256', state.signing.key).update('sightline edge sites v1').digest('base64url')
}
