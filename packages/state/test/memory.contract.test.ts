import { describe } from 'vitest'
import { memoryDedup } from '../src/index.ts'
import { dedupContract } from './contract/dedup.ts'

describe('memory twin', () => {
  dedupContract(async (o) => memoryDedup(o))
})
