import * as z from 'zod'

/** Where the client IP comes from; the rules are in ../client-ip.ts. */
export const CLIENT_IP_SOURCES = ['auto', 'cloudflare', 'proxy', 'none'] as const
export type ClientIpSource = (typeof CLIENT_IP_SOURCES)[number]

export interface ClientIpSettings {
  source: ClientIpSource
  /** Required with `proxy`. */
  proxySecret?: string | undefined
  /** With `auto`: an operator who says request.cf is not real means CF-Connecting-IP is not either. */
  trustCfGeo: boolean
}

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
  /** Where the client IP comes from (client-ip.ts): auto, cloudflare, proxy or none. */
  CLIENT_IP_SOURCE: z.enum(CLIENT_IP_SOURCES).default('auto'),
  /** With CLIENT_IP_SOURCE=proxy: what the proxy sends in X-Sightline-Proxy-Secret. */
  TRUSTED_PROXY_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Replaced by CLIENT_IP_SOURCE=proxy: it trusted X-Forwarded-For from anyone. */
  TRUST_PROXY_HEADERS: z
    .unknown()
    .optional()
    .refine((v) => v === undefined || v === false || v === 'false' || v === '0', {
      message: 'is replaced by CLIENT_IP_SOURCE=proxy with TRUSTED_PROXY_SECRET (docs/enrichment.md)',
    }),
  /**
   * Secret the daily cookieless-visitor salt is derived from. Optional: derived from the
   * signing key when unset (then rotating that key also changes the day's visitor ids).
   */
  VISITOR_SALT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
}

export interface EnrichSettings {
  trustCfGeo: boolean
  clientIp: ClientIpSettings
  visitorSecret: string
}

export function enrichSettings(env: {
  TRUST_CF_GEO: boolean
  CLIENT_IP_SOURCE: ClientIpSource
  TRUSTED_PROXY_SECRET?: string | undefined
  VISITOR_SALT_SECRET?: string | undefined
  SIGNING_KEY: string
}): EnrichSettings {
  return {
    trustCfGeo: env.TRUST_CF_GEO,
    clientIp: {
      source: env.CLIENT_IP_SOURCE,
      proxySecret: env.TRUSTED_PROXY_SECRET,
      trustCfGeo: env.TRUST_CF_GEO,
    },
    // Domain-separated so the derived salt never equals anything the signing key signs.
    visitorSecret: env.VISITOR_SALT_SECRET ?? `visitor-salt:${env.SIGNING_KEY}`,
  }
}
