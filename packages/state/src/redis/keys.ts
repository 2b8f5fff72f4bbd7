/**
 * Every key this package writes. Layout: `<prefix>{<tag>}<kind>:<rest>`.
 *
 * The `{…}` is a Redis Cluster hash tag: only it decides the slot. Per-site state (rate
 * counters, cache, live visitors, channels) is tagged with the site alone, so one site's
 * windows share a slot and a MULTI or a multi-key PFCOUNT over them is legal on Cluster.
 * Dedup keys are tagged with the site *and* one of `DEDUP_BUCKETS` buckets of the
 * message_id: a big site's day of ids (the bulk of the memory) then spreads over that many
 * slots instead of making one shard hot, while a batch still needs at most that many slots
 * per site. See docs/adr/0009-redis-state-key-design.md.
 */

/** Slots one site's dedup keys spread over. */
export const DEDUP_BUCKETS = 16

/** Hash tags must not contain braces; escape the two characters so any site id is safe. */
function tagSafe(value: string): string {
  return value.replaceAll('{', '%7B').replaceAll('}', '%7D')
}

/** The prefix is part of every key; braces in it would become the hash tag. */
export function checkPrefix(prefix: string): string {
  if (prefix.includes('{') || prefix.includes('}'))
    throw new Error(`key prefix must not contain braces: ${prefix}`)
  return prefix
}

/** FNV-1a, 32 bit: cheap, stable across processes, good enough to spread buckets. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export function dedupRedisKey(prefix: string, siteId: string, messageId: string): string {
  const bucket = (fnv1a(messageId) % DEDUP_BUCKETS).toString(16)
  return `${prefix}{${tagSafe(siteId)}.${bucket}}d:${messageId}`
}

/** The dedup store's epoch marker (one per deployment and prefix). */
export function dedupEpochKey(prefix: string): string {
  return `${prefix}{dedup}epoch`
}

/** Glob matching every dedup key under the prefix (for SCAN-based size and cleanup). */
export function dedupKeyPattern(prefix: string): string {
  return `${globEscape(prefix)}{*}d:*`
}

export function siteKey(prefix: string, siteId: string, kind: string, name: string): string {
  return `${prefix}{${tagSafe(siteId)}}${kind}:${name}`
}

/** Glob matching every key under the prefix. */
export function prefixPattern(prefix: string): string {
  return `${globEscape(prefix)}*`
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}
