import { checkWrite, type SiteStore, type StoreResult } from './port.ts'
import { type Site, type SiteInput, SiteSchema } from './site.ts'

/** In-process sites: tests and static configurations. */
export function memorySiteStore(initial: readonly SiteInput[] = []): SiteStore {
  let sites: Site[] = initial.map((s) => SiteSchema.parse(s))
  const write = async (site: Site, mode: 'create' | 'update'): Promise<StoreResult> => {
    const parsed = SiteSchema.safeParse(site)
    if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? 'invalid site' }
    const problem = checkWrite(sites, parsed.data, mode)
    if (problem) return { ok: false, message: problem }
    sites =
      mode === 'create'
        ? [...sites, parsed.data]
        : sites.map((s) => (s.site_id === parsed.data.site_id ? parsed.data : s))
    return { ok: true, site: parsed.data }
  }
  return {
    list: async () => [...sites],
    get: async (id) => sites.find((s) => s.site_id === id),
    byWriteKey: async (key) => sites.find((s) => s.write_keys.includes(key) || s.revoked_keys.includes(key)),
    create: (site) => write(site, 'create'),
    update: (site) => write(site, 'update'),
  }
}
