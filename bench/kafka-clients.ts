/**
 * Kafka client benchmark: the same realistic edge batches pushed through the stream port by
 * each Kafka client (and by the embedded segment log, the baseline) on one real broker started
 * here, in one run, in interleaved rounds so drift on a shared machine hits every variant.
 * Per variant: append throughput (concurrent appenders, each awaits acks=all) and end-to-end
 * throughput (a consumer group that was already waiting has received every record).
 *   node scripts/run.mjs exec tsx bench/kafka-clients.ts [--events 100000] [--rounds 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  type EventStream,
  KafkaStreamConfigSchema,
  kafkaDriver,
  kafkaStream,
  segmentLogStream,
} from '@sightline/stream'
import { startKafka } from '@sightline/testing'
import { countBytes, countEvents, type PreparedBatch, prepareBatches } from './lib/batches.ts'
import { machineInfo } from './lib/report.ts'

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
  },
})
const totalEvents = Number(args.events)
const rounds = Number(args.rounds)
const concurrency = Number(args.concurrency)
const PARTITIONS = 12

interface Variant {
  name: string
  open(topic: string): Promise<{ stream: EventStream; cleanup(): Promise<void> }>
}

const broker = await startKafka()
const kafka = (client: 'kafkajs' | 'platformatic', compression: 'gzip' | 'lz4' | 'none'): Variant => ({
  name: `${client} ${compression}`,
  async open(topic) {
    const config = KafkaStreamConfigSchema.parse({
      kind: 'kafka',
      brokers: broker.brokers,
      client,
      compression,
    })
    const admin = kafkaDriver(config)
    await admin.createTopic({
      name: topic,
      partitions: PARTITIONS,
      replicationFactor: 1,
      config: { 'max.message.bytes': '8388608' },
    })
    await admin.close()
    return {
      stream: kafkaStream({ driver: kafkaDriver(config), lingerMs: config.lingerMs }),
      cleanup: async () => undefined,
    }
  },
})
const variants: Variant[] = [
  {
    name: 'embedded segment log (baseline)',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'sightline-bench-log-'))
      return {
        stream: segmentLogStream({ dir, partitions: PARTITIONS }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      }
    },
  },
  kafka('kafkajs', 'gzip'),
  kafka('platformatic', 'gzip'),
  kafka('platformatic', 'lz4'),
]

async function measure(
  variant: Variant,
  batches: (PreparedBatch & { site: string; person: string })[],
  topic: string,
) {
  process.stderr.write(`${variant.name}: opening\n`)
  const { stream, cleanup } = await variant.open(topic)
  let received = 0
  let allReceived!: () => void
  const done = new Promise<void>((resolve) => (allReceived = resolve))
  const consumer = stream.consume({ group: topic, topic, maxRecords: 400, maxWaitMs: 50 }, async (batch) => {
    received += batch.records.length
    if (received >= batches.length) allReceived()
  })
  await new Promise((r) => setTimeout(r, 1500)) // the group has joined and waits
  const started = performance.now()
  let next = 0
  async function appender() {
    while (next < batches.length) {
      const b = batches[next++]!
      await stream.append(topic, [{ key: `${b.site}:${b.person}`, value: b.body }])
    }
  }
  await Promise.all(Array.from({ length: concurrency }, appender))
  const appendMs = performance.now() - started
  // A consumer that stalls is a result too: recorded as not finished instead of hanging the run.
  const finished = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((r) => setTimeout(r, 20_000, false)),
  ])
  const endToEndMs = finished ? performance.now() - started : Number.NaN
  if (!finished)
    process.stderr.write(`${variant.name}: consumer stalled at ${received}/${batches.length} records\n`)
  await consumer.stop()
  await stream.close()
  await cleanup()
  return { appendMs, endToEndMs }
}

const prepared = prepareBatches('kafka-bench', totalEvents, Number(args.batch))
// Key as the design asks (site + person); the person is the first event's.
const batches = prepared.map((b) => {
  const edge = JSON.parse(b.body.toString()) as {
    site_id: string
    events: { anonymous_id?: string; user_id?: string }[]
  }
  return { ...b, site: edge.site_id, person: edge.events[0]?.user_id ?? edge.events[0]?.anonymous_id ?? '' }
})
const events = countEvents(batches)
const runs: { round: number; variant: string; appendEventsPerSec: number; endToEndEventsPerSec: number }[] =
  []
try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? variants : [...variants].reverse()
    for (const variant of order) {
      const topic = `bench-${round}-${variant.name.replace(/[^a-z0-9]+/gi, '-')}-${Date.now()}`
      const { appendMs, endToEndMs } = await measure(variant, batches, topic)
      const run = {
        round,
        variant: variant.name,
        appendEventsPerSec: Math.round(events / (appendMs / 1000)),
        endToEndEventsPerSec: Number.isNaN(endToEndMs) ? 0 : Math.round(events / (endToEndMs / 1000)),
      }
      runs.push(run)
      process.stderr.write(`${JSON.stringify(run)}\n`)
      console.log(JSON.stringify(run))
    }
  }
} finally {
  await broker.stop()
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const summary = variants.map((v) => {
  const mine = runs.filter((r) => r.variant === v.name)
  return {
    variant: v.name,
    appendEventsPerSec: median(mine.map((r) => r.appendEventsPerSec)),
    endToEndEventsPerSec: median(mine.map((r) => r.endToEndEventsPerSec)),
  }
})
const baseline = summary[0]!
const kafkajs = summary.find((s) => s.variant === 'kafkajs gzip')!
const results = {
  benchmark: 'kafka-clients',
  date: new Date().toISOString(),
  machine: machineInfo(),
  parameters: {
    events,
    records: batches.length,
    bytes: countBytes(batches),
    eventsPerRecord: Number(args.batch),
    partitions: PARTITIONS,
    concurrency,
    rounds,
    kafka: '4.4.0',
  },
  runs,
  summary: summary.map((s) => ({
    ...s,
    endToEndVsEmbedded: Number((s.endToEndEventsPerSec / baseline.endToEndEventsPerSec).toFixed(2)),
    endToEndVsKafkajs: Number((s.endToEndEventsPerSec / kafkajs.endToEndEventsPerSec).toFixed(2)),
    appendVsKafkajs: Number((s.appendEventsPerSec / kafkajs.appendEventsPerSec).toFixed(2)),
  })),
}
const dir = join(import.meta.dirname, 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'kafka-clients.json'), `${JSON.stringify(results, null, 2)}\n`)
const rows = results.summary.map(
  (s) =>
    `| ${s.variant} | ${s.appendEventsPerSec.toLocaleString('en')} | ${s.endToEndEventsPerSec.toLocaleString('en')} | ${s.endToEndVsEmbedded}× | ${s.appendVsKafkajs}× | ${s.endToEndVsKafkajs}× |`,
)
writeFileSync(
  join(dir, 'kafka-clients.md'),
  `# Kafka clients through the stream port (${results.date.slice(0, 10)})\n\n` +
    `${events.toLocaleString('en')} events in ${batches.length.toLocaleString('en')} edge batches (${(results.parameters.bytes / 1e6).toFixed(1)} MB), ` +
    `${concurrency} concurrent appenders, ${PARTITIONS} partitions, Kafka 4.4.0 single broker on this machine ` +
    `(${results.machine.cpus} cores), medians of ${rounds} interleaved rounds.\n\n` +
    '| variant | append ev/s | end-to-end ev/s | e2e vs embedded | append vs kafkajs | e2e vs kafkajs |\n| --- | --- | --- | --- | --- | --- |\n' +
    `${rows.join('\n')}\n`,
)
console.log(rows.join('\n'))
