// Pure: runs in workerd too (the edge imports the KV format). The file adapter is './file'.
export { memorySiteStore } from './memory-store.ts'
export { checkWrite, type SiteStore, type StoreResult } from './port.ts'
export {
  DEFAULT_RETENTION_DAYS,
  type EdgeSite,
  EdgeSiteSchema,
  edgeView,
  MAX_RETENTION_DAYS,
  readKeysFile,
  SITE_ID,
  type Site,
  type SiteInput,
  SiteSchema,
  siteSettingsIndex,
} from './site.ts'
export { addSite, type Change, type NewKey, revokeKey, rotateKeys, setRetention } from './site-ops.ts'
export { entryKey, type KvEntry, siteEntries, WRITE_KEY_PREFIX } from './sites-kv-format.ts'
