import { describe, expect, it } from 'vitest'
import { splitByPerson } from '../src/index.ts'
import { edgeBatch, edgeEvent } from './edge-batches.ts'

describe('splitByPerson (Kafka keys = site + person)', () => {
  it('keeps a one-person batch whole, keyed site:person', () => {
    const batch = edgeBatch(['a', 'b'])
    batch.events = batch.events.map((e) => ({ ...e, anonymous_id: 'v1' }))
    expect(splitByPerson(batch)).toEqual([{ key: 'site_a:v1', batch }])
  })

  it('splits per person in first-seen order, keeps event order, refusals ride with the first part', () => {
    const batch = edgeBatch([])
    batch.events = [
      edgeEvent('1', { anonymous_id: 'v1' }),
      edgeEvent('2', { anonymous_id: 'v2' }),
      edgeEvent('3', { anonymous_id: 'v1' }),
      edgeEvent('4', { anonymous_id: '', user_id: 'u9' }),
    ]
    batch.rejected = [{ index: 4, code: 'invalid_event', message: 'no id' }]
    const parts = splitByPerson(batch)
    expect(parts.map((p) => p.key)).toEqual(['site_a:v1', 'site_a:v2', 'site_a:u9'])
    expect(parts.map((p) => p.batch.events.map((e) => e.message_id))).toEqual([['1', '3'], ['2'], ['4']])
    expect(parts.map((p) => p.batch.rejected?.length ?? 0)).toEqual([1, 0, 0])
    for (const p of parts) expect(p.batch.batch_id).toBe(batch.batch_id)
  })
})
