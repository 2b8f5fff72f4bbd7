import { describeStreamContract } from '../contract/stream-contract.ts'
import { streamFor, uniqueTopic } from './fixture.ts'

describeStreamContract({
  name: 'Kafka via kafkajs',
  async open(partitions) {
    const topic = await uniqueTopic('kafkajs', partitions)
    return { stream: streamFor('kafkajs'), topic, reopen: () => streamFor('kafkajs') }
  },
})
