import type { Admin, Consumer, Producer } from 'kafkajs'
import kafkajs from 'kafkajs'
import type { StoredRecord } from '../port.ts'
import type { GroupMember, GroupOptions, KafkaDriver, OutgoingMessage, TopicConfig } from './driver.ts'

export interface ClientSettings {
  brokers: string[]
  clientId: string
  /** Only gzip is built into kafkajs; the others need codec plugins, so they are refused here. */
  compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
}

// kafkajs is CommonJS; Node's named-export detection misses some of its exports.
const { CompressionTypes, ConfigResourceTypes, Kafka, logLevel } = kafkajs

const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const

/**
 * The group coordinator moves while the offsets topic is created or a broker restarts; kafkajs'
 * admin does not retry that (NOT_COORDINATOR is marked retriable), so we do, briefly.
 */
async function retriable<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (err) {
      if (attempt >= 40 || (err as { retriable?: boolean }).retriable !== true) throw err
      await new Promise((r) => setTimeout(r, 100 * Math.min(attempt + 1, 5)))
    }
  }
}

/** kafkajs 2.2 behind the driver interface (see docs/adr/0013). */
export function kafkajsDriver(settings: ClientSettings): KafkaDriver {
  if (settings.compression !== 'none' && settings.compression !== 'gzip') {
    throw new Error(`kafkajs has no built-in ${settings.compression} codec; use gzip or none`)
  }
  const compression = CODECS[settings.compression]
  const kafka = new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  })
  let producer: Promise<Producer> | undefined
  let admin: Promise<Admin> | undefined
  const members = new Set<GroupMember>()

  function connectedProducer(): Promise<Producer> {
    producer ??= (async () => {
      // Bounded retries: the port's append timeout turns an unreachable broker into a 503.
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 5 } })
      await p.connect()
      return p
    })()
    producer.catch(() => (producer = undefined))
    return producer
  }

  function connectedAdmin(): Promise<Admin> {
    admin ??= (async () => {
      const a = kafka.admin()
      await a.connect()
      return a
    })()
    admin.catch(() => (admin = undefined))
    return admin
  }

  return {
    name: 'kafkajs',

    async partitionCount(topic) {
      const a = await connectedAdmin()
      const { topics } = await retriable(() => a.fetchTopicMetadata({ topics: [topic] }))
      const count = topics[0]?.partitions.length ?? 0
      if (count === 0) throw new Error(`topic ${topic} does not exist`)
      return count
    },

    async produce(topic, messages: OutgoingMessage[]) {
      const results = await (await connectedProducer()).send({
        topic,
        acks: -1,
        compression,
        messages: messages.map((m) => ({
          partition: m.partition,
          key: m.key ?? null,
          value: Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
        })),
      })
      const bases = new Map<number, number>()
      for (const r of results) bases.set(r.partition, Number(r.baseOffset))
      return bases
    },

    async join(options: GroupOptions) {
      const consumer: Consumer = kafka.consumer({
        groupId: options.group,
        sessionTimeout: settings.sessionTimeoutMs,
        heartbeatInterval: settings.heartbeatIntervalMs,
        maxWaitTimeInMs: options.maxWaitMs,
        maxBytesPerPartition: options.maxBytes,
        allowAutoTopicCreation: false,
      })
      let stopping = false
      let failed = false
      // kafkajs restarts its consumer by itself after a retriable crash (a request out of
      // retries, the broker gone): that is only reported. One it does not restart from (a
      // non-retriable error) leaves the consumer disconnected for good: the adapter's to replace.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (stopping || failed) return
        if (payload.restart) {
          options.onError(payload.error)
          return
        }
        failed = true
        options.onFailed(payload.error)
      })
      try {
        await consumer.connect()
        await consumer.subscribe({ topics: [options.topic], fromBeginning: true })
      } catch (err) {
        // The adapter retries the join with a consumer of its own.
        await consumer.disconnect().catch(() => undefined)
        throw err
      }
      // A clean rebalance comes with kafkajs: it rejoins only after every batch of the current
      // fetch went through eachBatch, so the batch in a handler commits (the broker takes
      // commits of the current generation while it waits for members to rejoin) before any
      // partition can move. test/kafka/rebalance.ts pins that down.
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
          const records = batch.messages.map((m): StoredRecord => {
            const value = m.value ?? Buffer.alloc(0)
            const base = { partition: batch.partition, offset: Number(m.offset), value }
            return m.key === null ? base : { ...base, key: m.key.toString('utf8') }
          })
          await options.onRecords(batch.partition, records, {
            async commit(partition, offset) {
              if (failed) throw new Error(`partition ${partition} not committed: this member failed for good`)
              await consumer.commitOffsets([{ topic: options.topic, partition, offset: String(offset) }])
              // The fetch position: what is not resolved is fetched again after this call returns.
              resolveOffset(String(offset - 1))
            },
            revoked: () => failed || !isRunning() || isStale(),
            heartbeat,
          })
        },
      })
      const member: GroupMember = {
        async stop() {
          stopping = true
          members.delete(member)
          await consumer.disconnect()
        },
      }
      members.add(member)
      return member
    },

    async committedOffsets(group, topic) {
      const a = await connectedAdmin()
      const [entry] = await retriable(() => a.fetchOffsets({ groupId: group, topics: [topic] }))
      const committed = new Map<number, number>()
      for (const p of entry?.partitions ?? [])
        if (Number(p.offset) >= 0) committed.set(p.partition, Number(p.offset))
      return committed
    },

    async offsetRange(topic) {
      const a = await connectedAdmin()
      const offsets = await retriable(() => a.fetchTopicOffsets(topic))
      return new Map(offsets.map((o) => [o.partition, { start: Number(o.low), end: Number(o.high) }]))
    },

    async describeTopics(names) {
      const a = await connectedAdmin()
      const existing = new Set(await a.listTopics())
      const wanted = names.filter((n) => existing.has(n))
      const found = new Map<string, { partitions: number }>()
      if (wanted.length === 0) return found
      const { topics } = await retriable(() => a.fetchTopicMetadata({ topics: wanted }))
      for (const t of topics) found.set(t.name, { partitions: t.partitions.length })
      return found
    },

    async createTopic(topic: TopicConfig) {
      const a = await connectedAdmin()
      await retriable(() =>
        a.createTopics({
          topics: [
            {
              topic: topic.name,
              numPartitions: topic.partitions,
              replicationFactor: topic.replicationFactor,
              configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
            },
          ],
        }),
      )
      // Not kafkajs's waitForLeaders: it retries only "leader not available", while a KRaft
      // broker that is busy answers "does not host this topic-partition" for a while after
      // the create (seen under load in the fault test). Both are waited out here.
      await retriable(async () => {
        const { topics } = await a.fetchTopicMetadata({ topics: [topic.name] })
        const partitions = topics[0]?.partitions ?? []
        if (partitions.length < topic.partitions || partitions.some((p) => p.leader < 0))
          throw Object.assign(new Error(`topic ${topic.name} has no leaders yet`), { retriable: true })
      })
    },

    async createPartitions(topic, count) {
      await (await connectedAdmin()).createPartitions({ topicPartitions: [{ topic, count }] })
    },

    async alterTopicConfig(topic, config) {
      await (await connectedAdmin()).alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
          },
        ],
      })
    },

    async close() {
      await Promise.allSettled([...members].map((m) => m.stop()))
      await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())])
    },
  }
}
