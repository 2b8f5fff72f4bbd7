import { describe, expect, it } from 'vitest'
import { BridgeHealth } from '../src/bridge-health.ts'
import type { Bridge } from '../src/config.ts'
import { bridgeLog, bridgeUrl, makeEvent, post, testApp } from './support/harness.ts'

/** An app whose bridge-health clock the test moves; request timestamps keep real time. */
function healthApp(bridges: Bridge[]) {
  const clock = { offsetMs: 0 }
  const health = new BridgeHealth(30_000)
  const now = () => Date.now() + clock.offsetMs
  // The forwarder signs with deps.now: the offsets used here stay inside the ±5 min window.
  const { app } = testApp([], { bridges, health, now, enrich: (events) => events })
  return { app, clock }
}

describe('regional routing with bridge health', () => {
  it('skips a bridge marked unhealthy on the next request, and retries it after the period', async () => {
    const ns = crypto.randomUUID()
    const { app, clock } = healthApp([
      { url: bridgeUrl(ns, 'fail'), region: 'a', priority: 1 },
      { url: bridgeUrl(ns, 'ok'), region: 'b', priority: 2 },
    ])
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
    expect((await bridgeLog(ns)).map((a) => a.mode)).toEqual(['fail', 'ok', 'ok'])
    clock.offsetMs = 30_000
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
    expect((await bridgeLog(ns)).map((a) => a.mode)).toEqual(['fail', 'ok', 'ok', 'fail', 'ok'])
  })

  it('still tries an unhealthy bridge last rather than answering 503', async () => {
    const nsA = crypto.randomUUID()
    const nsB = crypto.randomUUID()
    const health = new BridgeHealth()
    const a = { url: bridgeUrl(nsA, 'ok'), region: 'a', priority: 1 }
    const b = { url: bridgeUrl(nsB, 'timeout'), region: 'b', priority: 2 }
    health.markFailed(a, Date.now())
    const { app } = testApp([], { bridges: [a, b], health, attemptTimeoutMs: 200, enrich: (e) => e })
    expect((await post(app, '/v1/batch', { batch: [makeEvent()] })).status).toBe(200)
    expect((await bridgeLog(nsB)).map((x) => x.mode)).toEqual(['timeout'])
    expect((await bridgeLog(nsA)).map((x) => x.mode)).toEqual(['ok'])
  })

  it('prefers bridges near the request (cf.continent / cf.colo), then priority', () => {
    const health = new BridgeHealth()
    const eu = { url: 'https://eu', region: 'eu', priority: 1 }
    const us = { url: 'https://us', region: 'us', priority: 2, near: ['NA', 'SA'] }
    const ap = { url: 'https://ap', region: 'ap', priority: 3, near: ['AS', 'OC', 'SIN'] }
    const order = (place: object) => health.order([eu, us, ap], place, 0).map((b) => b.region)
    expect(order({ continent: 'NA' })).toEqual(['us', 'eu', 'ap'])
    expect(order({ continent: 'EU' })).toEqual(['eu', 'us', 'ap'])
    expect(order({ colo: 'SIN' })).toEqual(['ap', 'eu', 'us'])
    expect(order({})).toEqual(['eu', 'us', 'ap'])
    health.markFailed(us, 0)
    expect(order({ continent: 'NA' })).toEqual(['eu', 'ap', 'us'])
    expect(health.order([eu, us, ap], { continent: 'NA' }, 30_000).map((b) => b.region)[0]).toBe('us')
  })
})
