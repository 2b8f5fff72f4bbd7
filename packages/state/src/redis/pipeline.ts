import type { ChainableCommander, Redis } from 'ioredis'

/** Runs a pipeline and returns its replies, throwing the first command error (a pipeline reports them per command). */
export async function execPipeline<T = unknown>(pipeline: ChainableCommander): Promise<T[]> {
  const results = await pipeline.exec()
  if (results === null) throw new Error('redis transaction aborted')
  return results.map(([err, reply]) => {
    if (err) throw err
    return reply as T
  })
}

/** Counts keys matching a glob with SCAN (never KEYS: it would block the server). */
export async function scanCount(client: Redis, pattern: string): Promise<number> {
  let cursor = '0'
  let count = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    count += keys.length
  } while (cursor !== '0')
  return count
}

/** Deletes every key matching a glob (test clean-up and `npm run`-style resets). */
export async function deleteMatching(client: Redis, pattern: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}
