// Pure operations behind `npm run admin`: they take the install state and return a new one
// (or a refusal), so they are tested without files or processes.
import { type KvEntry, siteEntries } from '../../edge-worker/src/sites-kv-format.ts'
import { edgeSiteConfig, type InstallState, token } from './workspace.ts'

export type Change = { ok: true; state: InstallState; message: string } | { ok: false; message: string }

const SITE_ID = /^[a-z0-9_-]{1,64}$/

export function addSite(state: InstallState, siteId: string, name = siteId, newKey = token): Change {
  if (!SITE_ID.test(siteId)) return { ok: false, message: `site id must match ${SITE_ID}` }
  if (state.sites.some((s) => s.site_id === siteId)) return { ok: false, message: `site ${siteId} exists` }
  const site = {
    site_id: siteId,
    name,
    write_keys: [newKey('wk')],
    revoked_keys: [],
    read_keys: [newKey('rk')],
    edge: {},
  }
  return {
    ok: true,
    state: { ...state, sites: [...state.sites, site] },
    message: `added ${siteId}: write key ${site.write_keys[0]}, read key ${site.read_keys[0]}`,
  }
}

/** Revoking the last key would leave the site unable to send: rotate instead (new key, old revoked). */
export function revokeKey(state: InstallState, writeKey: string): Change {
  const site = state.sites.find((s) => s.write_keys.includes(writeKey))
  if (!site) {
    const already = state.sites.some((s) => s.revoked_keys.includes(writeKey))
    return { ok: false, message: already ? 'that key is already revoked' : 'no site has that write key' }
  }
  if (site.write_keys.length === 1) {
    return {
      ok: false,
      message: `it is the only write key of ${site.site_id}: use "keys rotate ${site.site_id}" (adds a new key and revokes it)`,
    }
  }
  const updated = {
    ...site,
    write_keys: site.write_keys.filter((k) => k !== writeKey),
    revoked_keys: [...site.revoked_keys, writeKey],
  }
  return { ok: true, state: replaceSite(state, updated), message: `revoked a write key of ${site.site_id}` }
}

/** A fresh write key; every current one is revoked (the usual answer to a leaked key). */
export function rotateKeys(state: InstallState, siteId: string, newKey = token): Change {
  const site = state.sites.find((s) => s.site_id === siteId)
  if (!site) return { ok: false, message: `no site ${siteId}` }
  const fresh = newKey('wk')
  const updated = {
    ...site,
    write_keys: [fresh],
    revoked_keys: [...site.revoked_keys, ...site.write_keys],
  }
  return {
    ok: true,
    state: replaceSite(state, updated),
    message: `${siteId}: new write key ${fresh}; ${site.write_keys.length} old key(s) revoked`,
  }
}

function replaceSite(state: InstallState, site: InstallState['sites'][number]): InstallState {
  return { ...state, sites: state.sites.map((s) => (s.site_id === site.site_id ? site : s)) }
}

/** What SITES_KV must hold for this state (validated with the edge's own SiteSchema). */
export function kvEntriesFor(state: InstallState): KvEntry[] {
  return siteEntries(state.sites.map(edgeSiteConfig))
}

/** The sync plan: put every wanted entry (puts are idempotent), delete what no key owns any more. */
export function kvPlan(wanted: readonly KvEntry[], existingKeys: readonly string[], prefix: string) {
  const keep = new Set(wanted.map((e) => e.key))
  return { put: [...wanted], remove: existingKeys.filter((k) => k.startsWith(prefix) && !keep.has(k)) }
}
