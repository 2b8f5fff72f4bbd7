import { LIMITS } from '@sightline/contracts'
import * as z from 'zod'

/** Ids are URL path segments, KV values and ClickHouse values: keep them boring. */
export const SITE_ID = /^[a-z0-9_-]{1,64}$/

/** ClickHouse's retention_days column is a UInt16; ten years is already more than anyone asks. */
export const MAX_RETENTION_DAYS = 3650
/** Where sites go when no workspace is named (the embedded install has only this one). */
export const DEFAULT_WORKSPACE = 'default'

/** Thirteen months: a year-over-year comparison still has its previous year (ADR 0003). */
export const DEFAULT_RETENTION_DAYS = 395

function isIanaZone(zone: string): boolean {
  try {
    // Throws RangeError for anything the runtime's IANA database does not know.
    new Intl.DateTimeFormat('en-US', { timeZone: zone })
    return zone === 'UTC' || zone.includes('/')
  } catch {
    return false
  }
}

const key = z.string().min(1).max(200)

/**
 * The smallest non-zero `events_per_minute`: one full batch. The bridge accepts or refuses a
 * batch whole (ADR 0032), so a limit below the largest batch would refuse such a batch forever.
 */
export const MIN_EVENTS_PER_MINUTE = LIMITS.maxEventsPerBatch

export const EventsPerMinuteSchema = z
  .number()
  .int()
  .min(0)
  .refine(
    (n) => n === 0 || n >= MIN_EVENTS_PER_MINUTE,
    `must be 0 (unlimited) or at least ${MIN_EVENTS_PER_MINUTE} (one full batch)`,
  )

export const RateLimitSchema = z.object({
  per_key_per_minute: z.number().int().positive().default(60_000),
  // Generous: one server SDK or a NAT'd office is one IP; this is an abuse brake, not a quota.
  per_ip_per_minute: z.number().int().positive().default(6_000),
})

export const PrivacySchema = z.object({
  /** Forward and store the raw client IP (off: it is truncated for geo and dropped). */
  keep_ip: z.boolean().default(false),
  /** Derive a daily-rotating visitor id when the client sends none (no cookies needed). */
  cookieless: z.boolean().default(false),
})

/**
 * One site, everywhere: the edge reads its projection (see edgeView), the writer its
 * retention, the receiver keep_ip and events_per_minute, the query service its time zone.
 * Defaults are what a new site gets.
 * Read keys are not part of it: they are secrets the store keeps only as hashes (port.ts).
 */
/** The settings `sites set` can change, by the name users type. */
export const SITE_SETTINGS = [
  'name',
  'time_zone',
  'retention_days',
  'allowed_origins',
  'rate_limit.per_key_per_minute',
  'rate_limit.per_ip_per_minute',
  'keep_ip',
  'cookieless',
  'block_bots',
  'events_per_minute',
] as const
export type SiteSetting = (typeof SITE_SETTINGS)[number]

export const SiteSchema = z.object({
  site_id: z.string().regex(SITE_ID, `site id must match ${SITE_ID}`),
  /** The tenant: row-level security keeps one workspace's sites from another's services. */
  workspace_id: z.string().regex(SITE_ID, `workspace id must match ${SITE_ID}`).default(DEFAULT_WORKSPACE),
  name: z.string().max(200).default(''),
  /** The site's reporting zone (IANA name): "today" and day buckets default to it. */
  time_zone: z
    .string()
    .refine(isIanaZone, 'must be an IANA time zone such as Europe/Berlin or UTC')
    .default('UTC'),
  /** Rows older than this leave ClickHouse by TTL; stamped on each row by the writer. */
  retention_days: z.number().int().min(1).max(MAX_RETENTION_DAYS).default(DEFAULT_RETENTION_DAYS),
  /** Browser origins allowed by CORS; ['*'] allows any (write keys are public anyway). */
  allowed_origins: z.array(z.string().min(1)).default(['*']),
  rate_limit: RateLimitSchema.default({ per_key_per_minute: 60_000, per_ip_per_minute: 6_000 }),
  privacy: PrivacySchema.default({ keep_ip: false, cookieless: false }),
  /** Refuse (instead of label) events judged to be bots; counted either way. */
  block_bots: z.boolean().default(false),
  /**
   * The site's quota, enforced by the bridges over shared counters (ADR 0032); 0 = unlimited.
   * Not the edge's per-key / per-IP brakes (rate_limit), which each edge location keeps itself.
   */
  events_per_minute: EventsPerMinuteSchema.default(0),
  write_keys: z.array(key).min(1),
  /** Kept (not deleted) so the edge answers "revoked" instead of "unknown". */
  revoked_keys: z.array(key).default([]),
})
export type Site = z.infer<typeof SiteSchema>
/** What a caller may leave out (defaults fill it). */
export type SiteInput = z.input<typeof SiteSchema>

/**
 * The edge's view of a site: its settings plus write keys, never the secret read keys nor
 * what only the warehouse needs (zod drops the other fields). It is what SITES and SITES_KV hold.
 */
export const EdgeSiteSchema = SiteSchema.pick({
  site_id: true,
  write_keys: true,
  revoked_keys: true,
  allowed_origins: true,
  rate_limit: true,
  privacy: true,
  block_bots: true,
})
export type EdgeSite = z.infer<typeof EdgeSiteSchema>

export function edgeView(site: Site | EdgeSite): EdgeSite {
  return EdgeSiteSchema.parse(site)
}

/**
 * What an ingest bridge needs of a site: the writer's retention, the receiver's keep_ip and
 * quota. No keys: it is what the hub serves to the bridges of a local cluster
 * (`GET /admin/v1/bridge/sites`), which cannot open its PGlite database themselves.
 */
export const BridgeSiteSchema = SiteSchema.pick({
  site_id: true,
  retention_days: true,
  privacy: true,
  events_per_minute: true,
})
export type BridgeSite = z.infer<typeof BridgeSiteSchema>

export function bridgeView(site: Site | BridgeSite): BridgeSite {
  return BridgeSiteSchema.parse(site)
}

/** Sites by id, answering the writer's per-row questions without a lookup per event. */
export function siteSettingsIndex(sites: readonly BridgeSite[]) {
  const byId = new Map(sites.map((s) => [s.site_id, s]))
  return {
    retentionDays: (siteId: string) => byId.get(siteId)?.retention_days ?? DEFAULT_RETENTION_DAYS,
    keepIp: (siteId: string) => byId.get(siteId)?.privacy.keep_ip ?? false,
    /** undefined (a site it does not know) and 0 both mean no quota. */
    eventsPerMinute: (siteId: string) => byId.get(siteId)?.events_per_minute,
  }
}
