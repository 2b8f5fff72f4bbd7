import { createHash } from 'node:crypto'
import type { Cache } from '@sightline/state'
import type { Watermark } from '../ports.ts'

/**
 * The result cache of the insight kinds, over the state package's Cache port (in-memory when
 * embedded, Redis in cluster mode). An answer is stored under its kind, its canonical
 * resolved spec and the data watermark it was computed at, so:
 * - two specs that mean the same (fields in another order, `"1"` vs `true`, a default spelt
 *   out) share an entry, because the key is built from the resolved spec, not the request;
 * - once new data commits the watermark moves and no earlier answer can be found again.
 * The watermark is read BEFORE the query runs: an answer that races a commit is filed under
 * the older watermark, where only requests that started before the commit look.
 */
export interface ResultCache {
  /** The key for one resolved spec at the current watermark. */
  keyFor(kind: string, spec: unknown): string
  get(site: string, key: string): Promise<string | undefined>
  set(site: string, key: string, body: string): Promise<void>
}

export interface ResultCacheOptions {
  cache: Cache
  watermark: Watermark
  /** Bounds memory only; freshness comes from the watermark. */
  ttlMs: number
}

export function resultCache(options: ResultCacheOptions): ResultCache {
  return {
    keyFor(kind, spec) {
      const canonical = canonicalJson({ kind, spec })
      const digest = createHash('sha256').update(canonical).digest('base64url')
      return `q1:${options.watermark.current()}:${digest}`
    },
    get: (site, key) => options.cache.get(site, key),
    set: (site, key, body) => options.cache.set(site, key, body, options.ttlMs),
  }
}

/**
 * JSON with object keys sorted at every depth and dates as ISO instants, so equal specs give
 * equal text whatever order their fields were built in. Arrays keep their order (a filter
 * list is ANDed, but the order of series in a trends spec is part of its answer).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value))
}

function sortDeep(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(sortDeep)
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return Object.fromEntries(entries.map(([k, v]) => [k, sortDeep(v)]))
  }
  return value
}
