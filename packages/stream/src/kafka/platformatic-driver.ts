import {
  Admin,
  type CompressionAlgorithmValue,
  ConfigResourceTypes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import type { GroupMember, GroupOptions, KafkaDriver, TopicConfig } from './driver.ts'
import type { ClientSettings } from './kafkajs-driver.ts'
import { joinPlatformaticGroup } from './platformatic-member.ts'

/** @platformatic/kafka 2.12 behind the driver interface (see docs/adr/0013). */
export function platformaticDriver(settings: ClientSettings): KafkaDriver {
  const base = {
    clientId: settings.clientId,
    bootstrapBrokers: settings.brokers,
    retries: 5,
    retryDelay: 200,
  }
  const compression =
    settings.compression === 'none' ? undefined : (settings.compression as CompressionAlgorithmValue)
  const producer = new Producer({
    ...base,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    ...(compression === undefined ? {} : { compression }),
  })
  const admin = new Admin(base)
  const members = new Set<GroupMember>()

  return {
    name: 'platformatic',

    async partitionCount(topic) {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      const count = metadata.topics.get(topic)?.partitionsCount ?? 0
      if (count === 0) throw new Error(`topic ${topic} does not exist`)
      return count
    },

    async produce(topic, messages) {
      const result = await producer.send({
        messages: messages.map((m) => ({
          topic,
          partition: m.partition,
          ...(m.key === undefined ? {} : { key: Buffer.from(m.key) }),
          value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
        })),
      })
      const bases = new Map<number, number>()
      for (const o of result.offsets ?? []) if (o.topic === topic) bases.set(o.partition, Number(o.offset))
      return bases
    },

    async join(options: GroupOptions) {
      const member = await joinPlatformaticGroup(
        {
          client: base,
          sessionTimeoutMs: settings.sessionTimeoutMs,
          heartbeatIntervalMs: settings.heartbeatIntervalMs,
        },
        options,
      )
      const tracked: GroupMember = {
        async stop() {
          members.delete(tracked)
          await member.stop()
        },
      }
      members.add(tracked)
      return tracked
    },

    async committedOffsets(group, topic) {
      const groups = await admin.listConsumerGroupOffsets({ groups: [group] })
      const committed = new Map<number, number>()
      for (const t of groups[0]?.topics ?? []) {
        if (t.name !== topic) continue
        for (const p of t.partitions)
          if (p.committedOffset >= 0n) committed.set(p.partitionIndex, Number(p.committedOffset))
      }
      return committed
    },

    async offsetRange(topic) {
      const count = await this.partitionCount(topic)
      const partitions = (timestamp: bigint) =>
        Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }))
      const [earliest, latest] = await Promise.all([
        admin.listOffsets({ topics: [{ name: topic, partitions: partitions(-2n) }] }),
        admin.listOffsets({ topics: [{ name: topic, partitions: partitions(-1n) }] }),
      ])
      const range = new Map<number, { start: number; end: number }>()
      for (const p of earliest[0]?.partitions ?? [])
        range.set(p.partitionIndex, { start: Number(p.offset), end: 0 })
      for (const p of latest[0]?.partitions ?? []) {
        range.set(p.partitionIndex, { start: range.get(p.partitionIndex)?.start ?? 0, end: Number(p.offset) })
      }
      return range
    },

    async describeTopics(names) {
      const existing = new Set(await admin.listTopics())
      const found = new Map<string, { partitions: number }>()
      for (const name of names)
        if (existing.has(name)) found.set(name, { partitions: await this.partitionCount(name) })
      return found
    },

    async createTopic(topic: TopicConfig) {
      await admin.createTopics({
        topics: [topic.name],
        partitions: topic.partitions,
        replicas: topic.replicationFactor,
        configs: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
      })
    },

    async createPartitions(topic, count) {
      await admin.createPartitions({ topics: [{ name: topic, count }] })
    },

    async alterTopicConfig(topic, config) {
      await admin.incrementalAlterConfigs({
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: topic,
            configs: Object.entries(config).map(([name, value]) => ({ name, configOperation: 0, value })),
          },
        ],
      })
    },

    async close() {
      await Promise.allSettled([...members].map((m) => m.stop()))
      await Promise.allSettled([producer.close(), admin.close()])
    },
  }
}
