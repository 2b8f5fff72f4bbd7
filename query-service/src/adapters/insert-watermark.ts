import { randomBytes } from 'node:crypto'
import type { Warehouse } from '@sightline/warehouse'
import type { Watermark } from '../ports.ts'

export interface InsertWatermark extends Watermark {
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
 */
export function insertWatermark(): InsertWatermark {
  const boot = randomBytes(6).toString('hex')
  let commits = 0
  return {
    current: () => `${boot}:${commits}`,
    track(warehouse) {
      return new Proxy(warehouse, {
        get(target, prop, receiver) {
          // Inserts load rows; commands may change them (a mutation deleting a person's rows).
          if (prop === 'insert' || prop === 'command') {
            const write = Reflect.get(target, prop, receiver) as (...args: unknown[]) => Promise<void>
            return async (...args: unknown[]) => {
              try {
                await write.apply(target, args)
              } finally {
                // Also on failure: a failed insert may still have written some rows.
                commits++
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
