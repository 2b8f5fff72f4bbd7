import { segmentLogStream } from '../src/index.ts'
import { describeStreamContract } from './contract/stream-contract.ts'
import { tempDir } from './helpers.ts'

describeStreamContract({
  name: 'embedded segment log',
  async open(partitions) {
    const dir = await tempDir()
    const open = () => segmentLogStream({ dir, partitions, backoffInitialMs: 5 })
    return { stream: open(), topic: 'events', reopen: open }
  },
})
