// Pure: runs in workerd too (the edge imports the KV format). The PostgreSQL/PGlite adapter
// is './sql', the legacy JSON file reader './file'.
export { type FollowedSites, type FollowSitesOptions, followSites } from './followed-sites.ts'
export type {
  Goal,
  GoalInput,
  MetadataSnapshot,
  ReadKeyInfo,
  Refusal,
  Result,
  SavedQuery,
  SiteStore,
  StoreResult,
} from './port.ts'
export {
  type BridgeSite,
  BridgeSiteSchema,
  bridgeView,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_WORKSPACE,
  type EdgeSite,
  EdgeSiteSchema,
  EventsPerMinuteSchema,
  edgeView,
  MAX_RETENTION_DAYS,
  MIN_EVENTS_PER_MINUTE,
  SITE_ID,
  SITE_SETTINGS,
  type Site,
  type SiteInput,
  SiteSchema,
  type SiteSetting,
  siteSettingsIndex,
} from './site.ts'
export {
  addSite,
  type Change,
  createKey,
  type KeyKind,
  type NewKey,
  revokeKey,
  rotateKeys,
  setRetention,
  setSetting,
} from './site-ops.ts'
export { entryKey, type KvEntry, siteEntries, WRITE_KEY_PREFIX } from './sites-kv-format.ts'
