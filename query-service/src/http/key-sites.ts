import type { RequestIdEnv } from '@sightline/http'
import type { Hono } from 'hono'
import { z } from 'zod'
import type { ReadKeyResolver, SiteTimeZone } from '../ports.ts'
import { authenticate, type ClientAddress } from './auth.ts'
import type { AuthThrottle } from './auth-throttle.ts'

export const KeySitesResponseSchema = z.object({
  sites: z.array(z.string()),
  time_zones: z
    .record(z.string(), z.string())
    .describe(
      "each site's reporting time zone (its time_zone setting, IANA); a site is missing when this service has no site settings",
    ),
})

/**
 * `GET /v1/sites`: the sites the read key may read, each with its time zone. What a sign-in
 * form, a site switcher and a date picker need, and nothing more: no other settings, no other
 * keys. Spends the same failure budget as every other read.
 */
export function mountKeySites(
  app: Hono<RequestIdEnv>,
  deps: {
    keys: ReadKeyResolver
    throttle: AuthThrottle
    clientAddress: ClientAddress
    siteTimeZone?: SiteTimeZone
  },
): void {
  app.get('/v1/sites', async (c) => {
    const grant = await authenticate(c, deps.keys, deps.throttle, deps.clientAddress)
    c.header('cache-control', 'no-store')
    const sites = [...grant.siteIds].sort()
    const time_zones: Record<string, string> = {}
    for (const site of sites) {
      const zone = deps.siteTimeZone?.(site)
      if (zone) time_zones[site] = zone
    }
    return c.json({ sites, time_zones })
  })
}
