import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe } from 'vitest'
import { connectRedis } from '../src/index.ts'
import {
  type PrivateRedis,
  redisRequired,
  redisServerInstalled,
  startPrivateRedis,
} from '../src/testing/private-redis.ts'
import { dedupContract } from './contract/dedup.ts'
import { stateContract } from './contract/state.ts'
import { redisAdapters } from './support/redis-adapters.ts'

// A private redis-server for this file. Under CI a missing redis-server fails the suite.
describe.skipIf(!redisRequired && !redisServerInstalled())('redis adapters on a private redis-server', () => {
  let server: PrivateRedis
  let client: Redis
  beforeAll(async () => {
    server = await startPrivateRedis()
    client = await connectRedis(server.url)
  })
  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })
  const adapters = redisAdapters(() => client, [])
  dedupContract(adapters.dedup)
  stateContract(adapters)
})
