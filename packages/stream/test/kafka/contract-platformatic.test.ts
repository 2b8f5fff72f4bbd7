import { describeStreamContract } from '../contract/stream-contract.ts'
import { streamFor, uniqueTopic } from './fixture.ts'

describeStreamContract({
  name: 'Kafka via platformatic',
  async open(partitions) {
    const topic = await uniqueTopic('platformatic', partitions)
    return { stream: streamFor('platformatic'), topic, reopen: () => streamFor('platformatic') }
  },
})
