import * as z from 'zod'

/** Accepts real booleans (wrangler.jsonc vars) and "true"/"false" strings (.dev.vars, --var). */
const flag = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === true || v === 'true' || v === '1'))

/** Env fields for enrichment; spread into the edge's EnvSchema. */
export const ENRICH_ENV_FIELDS = {
  /**
   * request.cf describes the visitor on Cloudflare; in wrangler dev and self-hosted workerd
   * it is a placeholder or absent, so set false there and the bridge geolocates instead.
   */
  TRUST_CF_GEO: flag(true),
  /** Behind a proxy you run (self-hosted), take the client IP from X-Forwarded-For/X-Real-IP. */
  TRUST_PROXY_HEADERS: flag(false),
  /**
   * Secret the daily cookieless-visitor salt is derived from. Optional: derived from the
   * signing key when unset (then rotating that key also changes the day's visitor ids).
   */
  VISITOR_SALT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
}

export interface EnrichSettings {
  trustCfGeo: boolean
  trustProxyHeaders: boolean
  visitorSecret: string
}

export function enrichSettings(env: {
  TRUST_CF_GEO: boolean
  TRUST_PROXY_HEADERS: boolean
  VISITOR_SALT_SECRET?: string | undefined
  SIGNING_KEY: string
}): EnrichSettings {
  return {
    trustCfGeo: env.TRUST_CF_GEO,
    trustProxyHeaders: env.TRUST_PROXY_HEADERS,
    // Domain-separated so the derived salt never equals anything the signing key signs.
    visitorSecret: env.VISITOR_SALT_SECRET ?? `visitor-salt:${env.SIGNING_KEY}`,
  }
}
