import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { edgeView, type Site } from '@sightline/metadata'
import type { DataLayout, InstallState } from './workspace.ts'

/**
 * The edge's configuration for `wrangler dev --env-file`: sites and write keys, the
 * bridge to forward to, and the signing secret. Written 0600: it holds a secret.
 */
export function writeEdgeEnv(
  layout: DataLayout,
  state: InstallState,
  sites: readonly Site[],
  bridgeUrl: string,
): string {
  const vars: Record<string, string> = {
    SITES: JSON.stringify(sites.map(edgeView)),
    BRIDGES: JSON.stringify([{ url: bridgeUrl, region: 'local', priority: 1 }]),
    SIGNING_KEY_ID: state.signing.key_id,
    SIGNING_KEY: state.signing.key,
    // wrangler dev's request.cf is a placeholder (Austin, TX): let the bridge geolocate.
    TRUST_CF_GEO: 'false',
    // A local workerd passes on a client's own CF-Connecting-IP: believe no client IP header.
    CLIENT_IP_SOURCE: 'none',
  }
  const path = join(layout.root, 'edge.env')
  // Single-quoted dotenv values: JSON keeps its double quotes and no escapes are needed.
  const text = Object.entries(vars)
    .map(([k, v]) => `${k}='${v}'`)
    .join('\n')
  writeFileSync(path, `${text}\n`, { mode: 0o600 })
  return path
}
