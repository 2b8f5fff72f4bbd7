import { describe } from 'vitest'
import { memoryCache, memoryCounters, memoryDedup, memoryPubSub, memoryUniqueCounter } from '../src/index.ts'
import { dedupContract } from './contract/dedup.ts'
import { stateContract } from './contract/state.ts'

describe('memory twin', () => {
  dedupContract(async (o) => memoryDedup(o))
  stateContract({
    counters: async () => memoryCounters(),
    cache: async () => memoryCache(),
    pubsub: async () => memoryPubSub(),
    unique: async () => memoryUniqueCounter(),
  })
})
