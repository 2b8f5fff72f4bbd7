import { LIMITS } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, makeEvent, post, testApp } from './support/harness.ts'

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true }
  for (let i = 0; i < depth; i++) value = { child: value }
  return value
}

describe('rejects bad events one by one', () => {
  it('one bad event of three → 200, the bad one reported by index, the others forwarded', async () => {
    const { app, namespace } = testApp()
    const res = await post(app, '/v1/batch', { batch: [makeEvent(), { type: 'track' }, makeEvent()] })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { accepted: number; rejected: Array<{ index: number; code: string }> }
    expect(body.accepted).toBe(2)
    expect(body.rejected).toEqual([expect.objectContaining({ index: 1, code: 'invalid_event' })])
    expect((await bridgeLog(namespace))[0]?.batch?.events).toHaveLength(2)
  })

  it('deep nesting, a __proto__ key and a huge string are each rejected alone', async () => {
    const { app, namespace } = testApp()
    const proto = JSON.parse(`{"properties": {"__proto__": {"isAdmin": true}}}`) as Record<string, unknown>
    const batch = [
      makeEvent({ properties: nested(LIMITS.maxDepth + 5) }),
      makeEvent(proto),
      makeEvent({ properties: { big: 'x'.repeat(LIMITS.maxStringLength + 1) } }),
      makeEvent({ event: 'Survivor' }),
    ]
    const res = await post(app, '/v1/batch', { batch })
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      accepted: number
      rejected: Array<{ index: number; message: string }>
    }
    expect(body.accepted).toBe(1)
    expect(body.rejected.map((r) => r.index)).toEqual([0, 1, 2])
    expect(body.rejected[0]?.message).toMatch(/nesting/)
    expect(body.rejected[1]?.message).toMatch(/__proto__/)
    expect(body.rejected[2]?.message).toMatch(/longer than/)
    const events = (await bridgeLog(namespace))[0]?.batch?.events
    expect(events?.map((e) => e.event)).toEqual(['Survivor'])
  })

  it('every event bad → 400 invalid_event with the rejected list; only the refusals reach the bridge', async () => {
    const { app, namespace } = testApp()
    const res = await post(app, '/v1/batch', { batch: [{ type: 'track' }, 42] })
    expect(res.status).toBe(400)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('invalid_event')
    expect(body.rejected?.map((r) => r.index)).toEqual([0, 1])
    // Reported in the background so the rejected table can count them: no events travel.
    let log = await bridgeLog(namespace)
    for (let i = 0; i < 50 && log.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20))
      log = await bridgeLog(namespace)
    }
    expect(log).toHaveLength(1)
    expect(log[0]?.batch?.events).toEqual([])
    expect(log[0]?.batch?.rejected?.map((r) => r.index)).toEqual([0, 1])
  })

  it('a bad single event on /v1/track → 400 invalid_event with index 0', async () => {
    const { app } = testApp()
    const res = await post(app, '/v1/track', { event: 'No Ids', message_id: 'm1' })
    expect(res.status).toBe(400)
    const body = (await res.json()) as ErrorJson
    expect(body.rejected).toEqual([expect.objectContaining({ index: 0, code: 'invalid_event' })])
  })
})
