import {
  Admin,
  type CompressionAlgorithmValue,
  ConfigResourceTypes,
  Consumer,
  type Message,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
} from '@platformatic/kafka'
import type { StoredRecord } from '../port.ts'
import type { GroupMember, GroupOptions, KafkaDriver, TopicConfig } from './driver.ts'
import type { ClientSettings } from './kafkajs-driver.ts'

/** Messages buffered by the client's stream; one fetch per partition fits comfortably. */
const HIGH_WATER_MARK = 4096

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
      const consumer = new Consumer({
        ...base,
        groupId: options.group,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        autocommit: false,
        minBytes: 1,
        maxWaitTime: Math.max(10, options.maxWaitMs),
        maxBytes: options.maxBytes,
        highWaterMark: HIGH_WATER_MARK,
      })
      const stream = await consumer.consume({
        topics: [options.topic],
        mode: MessagesStreamModes.COMMITTED,
        fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      })
      let stopping = false
      const owns = (partition: number) =>
        consumer.assignments?.some((a) => a.topic === options.topic && a.partitions.includes(partition)) ??
        false
      const session = {
        async commit(partition: number, offset: number) {
          await consumer.commit({
            offsets: [{ topic: options.topic, partition, offset: BigInt(offset), leaderEpoch: -1 }],
          })
        },
        revoked: (partition: number) => stopping || !owns(partition),
        heartbeat: async () => undefined, // the client heartbeats on its own timer
      }
      stream.on('error', options.onError)
      // One 'readable' listener for the stream's whole life, never added and removed per wait:
      // the client fetches only while `readableFlowing` is not null, and Node resets it to null
      // when the last 'readable' listener goes. With the listener removed while a run was being
      // handled, the client's next fetch returned without fetching and left Node's read pending,
      // so no read() asked again and no 'readable' came: the member stalled until a rebalance
      // restarted the fetch (found by the rebalance test; the stall in docs/adr/0013).
      let wake: (() => void) | undefined
      const notify = () => {
        const waiting = wake
        wake = undefined
        waiting?.()
      }
      stream.on('readable', notify)
      stream.on('close', notify)

      // Drain what the stream has buffered, group it per partition in offset order, hand each
      // run over and wait for it before reading on (the stream pauses at its high-water mark).
      const loop = (async () => {
        while (!stopping) {
          const messages: Message[] = []
          while (messages.length < HIGH_WATER_MARK) {
            const message = stream.read() as Message | null
            if (message === null) break
            messages.push(message)
          }
          if (messages.length === 0) {
            // read() returned null, so Node emits 'readable' (asynchronously) on the next push.
            await new Promise<void>((resolve) => (wake = resolve))
            if (stream.destroyed) return
            continue
          }
          const byPartition = new Map<number, StoredRecord[]>()
          for (const m of messages) {
            let run = byPartition.get(m.partition)
            if (run === undefined) {
              run = []
              byPartition.set(m.partition, run)
            }
            const record = { partition: m.partition, offset: Number(m.offset), value: m.value }
            run.push(
              m.key === undefined || m.key === null || m.key.length === 0
                ? record
                : { ...record, key: m.key.toString('utf8') },
            )
          }
          for (const [partition, records] of byPartition) {
            if (stopping) return
            await options.onRecords(partition, records, session)
          }
        }
      })().catch(options.onError)

      const member: GroupMember = {
        async stop() {
          stopping = true
          members.delete(member)
          notify()
          await loop
          await stream.close().catch(() => undefined)
          await consumer.close(true)
        },
      }
      members.add(member)
      return member
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
