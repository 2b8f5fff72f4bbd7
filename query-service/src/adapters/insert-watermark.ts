import { randomBytes } from 'node:crypto'
import type { Warehouse } from '@sightline/warehouse'
import type { SiteWatermark, Watermark } from '../ports.ts'

export interface InsertWatermark extends Watermark, SiteWatermark {
  /**
   * The same warehouse, with every insert and command advancing the watermark. Whoever loads
   * data (the writer's events and dead letters, a test, a backfill) must insert through it.
   */
  track(warehouse: Warehouse): Warehouse
}

/**
 * A watermark advanced by the inserts of this process: the embedded hub (and cluster mode's
 * writer host) runs the writer beside the query service, so the writer's last committed
 * batch is known here without asking the engine. It advances when the insert has returned,
 * i.e. when the rows are visible to queries, before the writer commits its stream offsets.
 *
 * The token carries a random per-process prefix, so a cache that outlives the process
 * (Redis) never matches a restarted counter's `1` against the old process's `1`.
 *
 * Per site, the token is the commit count at the last commit that touched the site: rows
 * carry `site_id` (plain rows and the writer's encoded rows alike); a command, or a row
 * without a site, may have changed any site and moves them all.
 */
export function insertWatermark(): InsertWatermark {
  const boot = randomBytes(6).toString('hex')
  let commits = 0
  /** The commit count at the last commit that may have touched every site. */
  let allAt = 0
  const siteAt = new Map<string, number>()
  const listeners = new Set<(sites: ReadonlySet<string> | undefined) => void>()

  const committed = (sites: ReadonlySet<string> | undefined) => {
    commits++
    if (sites === undefined) allAt = commits
    else for (const site of sites) siteAt.set(site, commits)
    for (const listener of listeners) listener(sites)
  }

  return {
    current: () => `${boot}:${commits}`,
    forSite: (site) => `${boot}:${Math.max(allAt, siteAt.get(site) ?? 0)}`,
    onCommit(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    track(warehouse) {
      return new Proxy(warehouse, {
        get(target, prop, receiver) {
          // Inserts load rows; commands may change them (a mutation deleting a person's rows).
          if (prop === 'insert' || prop === 'command') {
            const write = Reflect.get(target, prop, receiver) as (...args: unknown[]) => Promise<void>
            return async (...args: unknown[]) => {
              const sites = prop === 'insert' ? sitesOf(args[1] as readonly object[]) : undefined
              try {
                await write.apply(target, args)
              } finally {
                // Also on failure: a failed insert may still have written some rows.
                committed(sites)
              }
            }
          }
          const value = Reflect.get(target, prop, receiver)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    },
  }
}

/** The sites of a load, or undefined when a row does not say (then it may touch any site). */
function sitesOf(rows: readonly object[]): Set<string> | undefined {
  const sites = new Set<string>()
  for (const row of rows) {
    const site = (row as { site_id?: unknown }).site_id
    if (typeof site !== 'string') return undefined
    sites.add(site)
  }
  return sites
}
