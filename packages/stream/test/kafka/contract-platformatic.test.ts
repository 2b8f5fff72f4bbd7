import { describeStreamContract } from '../contract/stream-contract.ts'
import { streamFor, uniqueTopic } from './fixture.ts'
import { describeRebalance } from './rebalance.ts'

describeStreamContract({
  name: 'Kafka via platformatic',
  async open(partitions) {
    const topic = await uniqueTopic('platformatic', partitions)
    return { stream: streamFor('platformatic'), topic, reopen: () => streamFor('platformatic') }
  },
})

// Two members of one group, each over its own client as two processes would be; the embedded
// log refuses a second member by design (test/groups.test.ts), so only Kafka runs this.
describeRebalance({
  name: 'Kafka via platformatic',
  topic: (partitions) => uniqueTopic('platformatic', partitions),
  stream: (onError) => streamFor('platformatic', { onError }),
})
