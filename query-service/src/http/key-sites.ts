import type { RequestIdEnv } from '@sightline/http'
import type { Hono } from 'hono'
import { z } from 'zod'
import type { ReadKeyResolver } from '../ports.ts'
import { authenticate, type ClientAddress } from './auth.ts'
import type { AuthThrottle } from './auth-throttle.ts'

export const KeySitesResponseSchema = z.object({ sites: z.array(z.string()) })

/**
 * `GET /v1/sites`: the sites the read key may read. What a sign-in form and a site switcher
 * need, and nothing more: no settings, no other keys. Spends the same failure budget as
 * every other read.
 */
export function mountKeySites(
  app: Hono<RequestIdEnv>,
  deps: { keys: ReadKeyResolver; throttle: AuthThrottle; clientAddress: ClientAddress },
): void {
  app.get('/v1/sites', async (c) => {
    const grant = await authenticate(c, deps.keys, deps.throttle, deps.clientAddress)
    c.header('cache-control', 'no-store')
    return c.json({ sites: [...grant.siteIds].sort() })
  })
}
