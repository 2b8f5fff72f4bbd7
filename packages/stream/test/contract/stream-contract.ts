import { describe, expect, it } from 'vitest'
import type { EventStream, RecordBatch, StoredRecord } from '../../src/index.ts'
import { consumeN, records, str, text } from '../helpers.ts'

export interface ContractSubject {
  stream: EventStream
  topic: string
  /** A second stream over the same data, as after a process restart. */
  reopen(): EventStream
}

export interface ContractTarget {
  name: string
  /** A topic nobody else uses, with `partitions` partitions, and a stream for it. */
  open(partitions: number): Promise<ContractSubject>
}

/**
 * The behaviour every adapter of the stream port must show, whatever is underneath: the
 * embedded segment log and each Kafka client run this same suite.
 */
export function describeStreamContract(target: ContractTarget): void {
  describe(`stream port contract: ${target.name}`, () => {
    it('delivers appended records with dense offsets per call, keys and values intact, and counts lag', async () => {
      const { stream, topic } = await target.open(1)
      const first = await stream.append(topic, [
        { key: 'u1', value: text('a') },
        { value: text('b') },
        { key: 'u1', value: new Uint8Array() },
      ])
      const second = await stream.append(topic, records('r', 5))
      expect(first).toEqual({ partition: 0, baseOffset: 0 })
      expect(second).toEqual({ partition: 0, baseOffset: 3 })
      expect(await stream.lag('g', topic)).toBe(8)
      const { records: got } = await consumeN(stream, { group: 'g', topic }, 8)
      expect(got.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect(got.slice(0, 3).map((r) => [r.key, str(r.value)])).toEqual([
        ['u1', 'a'],
        [undefined, 'b'],
        ['u1', ''],
      ])
      expect(got.slice(3).map((r) => str(r.value))).toEqual(['r-0', 'r-1', 'r-2', 'r-3', 'r-4'])
      expect(await stream.lag('g', topic)).toBe(0)
      await stream.close()
    })

    it('respects maxRecords and maxBytes, but always delivers at least one record', async () => {
      const { stream, topic } = await target.open(1)
      await stream.append(topic, records('x', 10))
      const { batches } = await consumeN(stream, { group: 'g', topic, maxRecords: 4 }, 10)
      expect(batches.every((b) => b.records.length <= 4)).toBe(true)
      expect(batches.flatMap((b) => b.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      const big = await consumeN(stream, { group: 'h', topic, maxBytes: 1 }, 10)
      expect(big.batches.map((b) => b.records.length)).toEqual(Array(10).fill(1))
      await stream.close()
    })

    it('keeps every call in one partition and one key in one partition, in append order', async () => {
      const { stream, topic } = await target.open(4)
      const keys = ['site-a:p1', 'site-a:p2', 'site-b:p1', 'site-c:p9', 'site-d:p3', 'site-e:p4']
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) => {
          const key = keys[i % keys.length]!
          return stream.append(topic, [
            { key, value: text(`${key}#${i}a`) },
            { key, value: text(`${key}#${i}b`) },
          ])
        }),
      )
      const partitionOfKey = new Map<string, number>()
      results.forEach((r, i) => {
        const key = keys[i % keys.length]!
        expect(partitionOfKey.get(key) ?? r.partition).toBe(r.partition)
        partitionOfKey.set(key, r.partition)
      })
      const { records: got } = await consumeN(stream, { group: 'g', topic }, 120)
      for (const [i, r] of results.entries()) {
        const key = keys[i % keys.length]!
        const inPartition = got.filter((x) => x.partition === r.partition)
        const a = inPartition.find((x) => x.offset === r.baseOffset)
        const b = inPartition.find((x) => x.offset === r.baseOffset + 1)
        expect([a && str(a.value), b && str(b.value)]).toEqual([`${key}#${i}a`, `${key}#${i}b`])
      }
      // Per key, delivery order is append order (the index i in the value only grows).
      for (const key of keys) {
        const order = got.filter((x) => x.key === key).map((x) => Number(/#(\d+)/.exec(str(x.value))![1]))
        expect(order).toEqual([...order].sort((x, y) => x - y))
      }
      await stream.close()
    })

    it('redelivers the same batch while the handler throws, never skipping, then commits', async () => {
      const { stream, topic } = await target.open(1)
      await stream.append(topic, records('r', 6))
      const deliveries: number[][] = []
      let failuresLeft = 3
      let done!: () => void
      const finished = new Promise<void>((resolve) => (done = resolve))
      const consumer = stream.consume(
        { group: 'g', topic, maxRecords: 3, maxWaitMs: 0 },
        async (batch: RecordBatch) => {
          deliveries.push(batch.records.map((r) => r.offset))
          if (batch.records[0]!.offset === 3 && failuresLeft-- > 0) throw new Error('sink down')
          if (batch.records.at(-1)!.offset === 5) done()
        },
      )
      await finished
      await consumer.stop()
      expect(deliveries).toEqual([
        [0, 1, 2],
        [3, 4, 5],
        [3, 4, 5],
        [3, 4, 5],
        [3, 4, 5],
      ])
      expect(await stream.lag('g', topic)).toBe(0)
      await stream.close()
    })

    it('commits only after the handler resolved: a consumer gone mid-batch leaves it for the next one', async () => {
      const { stream, topic, reopen } = await target.open(1)
      await stream.append(topic, records('r', 4))
      let entered!: () => void
      const inHandler = new Promise<void>((resolve) => (entered = resolve))
      let release!: (err: Error) => void
      const crashed = stream.consume({ group: 'g', topic, maxRecords: 2, maxWaitMs: 0 }, (batch) => {
        if (batch.records[0]!.offset === 0) return Promise.resolve()
        entered()
        return new Promise<void>((_, reject) => (release = reject))
      })
      await inHandler
      // The sink never acknowledged batch [2, 3]: the process goes away without resolving.
      const stopping = crashed.stop()
      release(new Error('process died before the sink acked'))
      await stopping
      await stream.close()
      const restarted = reopen()
      expect(await restarted.lag('g', topic)).toBe(2)
      const { records: again } = await consumeN(restarted, { group: 'g', topic }, 2)
      expect(again.map((r) => [r.offset, str(r.value)])).toEqual([
        [2, 'r-2'],
        [3, 'r-3'],
      ])
      expect(await restarted.lag('g', topic)).toBe(0)
      await restarted.close()
    })

    it('resumes a group from its committed offset after a restart; groups are independent', async () => {
      const { stream, topic, reopen } = await target.open(2)
      await stream.append(topic, records('a', 5))
      await consumeN(stream, { group: 'one', topic }, 5)
      await stream.close()
      const restarted = reopen()
      await restarted.append(topic, records('b', 3))
      const { records: got } = await consumeN(restarted, { group: 'one', topic }, 3)
      expect(got.map((r: StoredRecord) => str(r.value)).sort()).toEqual(['b-0', 'b-1', 'b-2'])
      expect(await restarted.lag('one', topic)).toBe(0)
      expect(await restarted.lag('two', topic)).toBe(8)
      const { records: all } = await consumeN(restarted, { group: 'two', topic }, 8)
      expect(all).toHaveLength(8)
      await restarted.close()
    })
  })
}
