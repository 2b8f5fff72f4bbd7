import { describeStreamContract } from '../contract/stream-contract.ts'
import { streamFor, uniqueTopic } from './fixture.ts'
import { describeRebalance } from './rebalance.ts'

describeStreamContract({
  name: 'Kafka via kafkajs',
  async open(partitions) {
    const topic = await uniqueTopic('kafkajs', partitions)
    return { stream: streamFor('kafkajs'), topic, reopen: () => streamFor('kafkajs') }
  },
})

// Two members of one group, each over its own client as two processes would be; the embedded
// log refuses a second member by design (test/groups.test.ts), so only Kafka runs this.
describeRebalance({
  name: 'Kafka via kafkajs',
  topic: (partitions) => uniqueTopic('kafkajs', partitions),
  stream: (onError) => streamFor('kafkajs', { onError }),
})
