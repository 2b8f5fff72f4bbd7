import { type EdgeSite, EdgeSiteSchema } from '@sightline/metadata'
import * as z from 'zod'
import { ENRICH_ENV_FIELDS, type EnrichSettings, enrichSettings } from './enrich/settings.ts'

/**
 * The Worker's env, parsed once by the composition root. JSON-valued settings arrive as
 * strings from `--var`/secrets/.dev.vars but as objects from wrangler.jsonc `vars`, so
 * both forms are accepted.
 */
function jsonValue<T extends z.ZodType>(schema: T) {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (typeof value !== 'string') return value
      try {
        return JSON.parse(value) as unknown
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' })
        return z.NEVER
      }
    })
    .pipe(schema)
}

/**
 * Per-site settings the edge enforces: the site store's edge view (@sightline/metadata), so
 * a site is defined once for the launcher, the KV sync, the writer and the edge alike.
 */
export const SiteSchema = EdgeSiteSchema
export type SiteConfig = EdgeSite

export const BridgeSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
  region: z.string().min(1),
  priority: z.number().int(),
  /**
   * Continent codes (EU, NA, …) or Cloudflare colo codes (FRA, IAD, …) this bridge is the
   * nearest for; without it the region name is compared to the client's continent.
   */
  near: z.array(z.string().min(1)).optional(),
})
export type Bridge = z.infer<typeof BridgeSchema>

export const EnvSchema = z.object({
  SITES: jsonValue(
    z
      .array(SiteSchema)
      .refine(
        (sites) =>
          new Set(sites.flatMap((s) => s.write_keys)).size === sites.flatMap((s) => s.write_keys).length,
        {
          message: 'a write key is listed twice',
        },
      ),
  ).optional(),
  /**
   * Embedded installs: the hub's edge view of the sites (GET /admin/v1/edge/sites), polled so
   * admin changes apply without a restart; SITES stays the fallback. SITES_TOKEN authorises it.
   */
  SITES_URL: z.url({ protocol: /^https?$/ }).optional(),
  SITES_TOKEN: z.string().min(16).optional(),
  BRIDGES: jsonValue(z.array(BridgeSchema).min(1)),
  SIGNING_KEY_ID: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[^,=\s]+$/, 'must not contain commas, "=" or spaces'),
  // 32 characters is the least that gives an HMAC-SHA256 key a useful amount of entropy.
  SIGNING_KEY: z.string().min(32, 'must be at least 32 characters'),
  ...ENRICH_ENV_FIELDS,
})

export interface EdgeConfig {
  sites: SiteConfig[]
  /** Where to poll the sites from (embedded installs), with its bearer token. */
  sitesUrl?: { url: string; token: string }
  /** Sorted by priority, lowest first: the order the forwarder tries them. */
  bridges: Bridge[]
  signing: { keyId: string; secret: string }
  enrichment: EnrichSettings
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid edge-worker configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/** Every bad field is listed, so one deploy attempt shows everything to fix. */
export function parseConfig(
  env: unknown,
): { ok: true; config: EdgeConfig } | { ok: false; error: ConfigError } {
  const parsed = EnvSchema.safeParse(env ?? {})
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')
      return `${where.replace(/^\./, '') || 'env'}: ${issue.message}`
    })
    return { ok: false, error: new ConfigError(problems) }
  }
  const env_ = parsed.data
  // With a KV namespace bound the sites live there (static SITES is then only a fallback).
  const hasKv = typeof env === 'object' && env !== null && 'SITES_KV' in env
  if (env_.CLIENT_IP_SOURCE === 'proxy' && !env_.TRUSTED_PROXY_SECRET) {
    const problem = 'TRUSTED_PROXY_SECRET: required with CLIENT_IP_SOURCE=proxy'
    return { ok: false, error: new ConfigError([problem]) }
  }
  if (env_.SITES_URL && !env_.SITES_TOKEN) {
    return { ok: false, error: new ConfigError(['SITES_TOKEN: required with SITES_URL']) }
  }
  if (!env_.SITES?.length && !hasKv && !env_.SITES_URL) {
    const problem = 'SITES: at least one site is required unless a SITES_KV namespace is bound'
    return { ok: false, error: new ConfigError([problem]) }
  }
  return {
    ok: true,
    config: {
      sites: env_.SITES ?? [],
      ...(env_.SITES_URL && env_.SITES_TOKEN
        ? { sitesUrl: { url: env_.SITES_URL, token: env_.SITES_TOKEN } }
        : {}),
      bridges: [...env_.BRIDGES].sort((a, b) => a.priority - b.priority),
      signing: { keyId: env_.SIGNING_KEY_ID, secret: env_.SIGNING_KEY },
      enrichment: enrichSettings(env_),
    },
  }
}
