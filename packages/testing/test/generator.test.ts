import { LIMITS, validateBatch } from '@sightline/contracts'
import { describe, expect, it } from 'vitest'
import { BOT_AGENTS, HUMAN_AGENTS } from '../src/catalog/agents.ts'
import { createGenerator, expectedCounts, freePort, isBotUserAgent, tempDir } from '../src/index.ts'

const STAMP = { siteId: 'site_test', receivedAt: '2025-01-07T00:00:05.000Z', ingestPath: 'native' } as const

describe('createGenerator', () => {
  it('is deterministic for a seed, and differs across seeds', () => {
    const a = createGenerator({ seed: 42, sites: ['a.test', 'b.test'] }).batches(5_000, 100)
    const b = createGenerator({ seed: 42, sites: ['a.test', 'b.test'] }).batches(5_000, 100)
    const c = createGenerator({ seed: 43, sites: ['a.test', 'b.test'] }).batches(5_000, 100)
    expect(JSON.stringify(a)).toBe(JSON.stringify(b))
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(c))
  })

  it('continues one stream across calls', () => {
    const split = createGenerator({ seed: 'split' })
    const whole = createGenerator({ seed: 'split' })
    expect([...split.events(777), ...split.events(1_223)]).toEqual(whole.events(2_000))
  })

  it('produces batches the contract accepts with zero rejections', () => {
    const gen = createGenerator({ seed: 7, sites: ['site_a', 'site_b', 'site_c'], botShare: 0.2 })
    const batches = gen.batches(20_000, LIMITS.maxEventsPerBatch)
    let accepted = 0
    for (const body of batches) {
      const result = validateBatch(JSON.parse(JSON.stringify(body)), STAMP)
      if (!result.ok) throw new Error(result.message)
      expect(result.value.rejected).toEqual([])
      accepted += result.value.accepted.length
      expect(new TextEncoder().encode(JSON.stringify(body)).byteLength).toBeLessThan(LIMITS.maxBodyBytes)
      // Single-site batches: one write key per request.
      const site = gen.siteOf(body)
      expect(body.batch.every((e) => gen.siteOf(e) === site)).toBe(true)
      // The default sent_at is the window end, so skew correction never clamps.
      expect(result.value.accepted.every((e) => !e.clock_skewed)).toBe(true)
    }
    expect(accepted).toBe(20_000)
    expect(new Set(batches.map((b) => gen.siteOf(b)))).toEqual(new Set(['site_a', 'site_b', 'site_c']))
  })

  it('keeps timestamps inside the window and emits every kind of event', () => {
    const start = new Date('2025-03-01T00:00:00Z')
    const gen = createGenerator({ seed: 3, start, spanMs: 6 * 3_600_000 })
    const events = gen.events(30_000)
    for (const e of events) {
      const t = Date.parse(e.timestamp!)
      expect(t).toBeGreaterThanOrEqual(start.getTime())
      expect(t).toBeLessThanOrEqual(gen.end.getTime())
    }
    const counts = expectedCounts(events)
    for (const name of [
      '$pageview',
      '$identify',
      'signup_started',
      'signup_completed',
      'checkout',
      'video_played',
    ]) {
      expect(counts.byEvent[name], name).toBeGreaterThan(0)
    }
    expect(events.some((e) => e.context?.campaign?.name && e.context.page?.search?.includes('utm_'))).toBe(
      true,
    )
    const referrers = new Set(events.map((e) => e.context?.page?.referrer))
    for (const r of ['', 'https://www.google.com/', 'https://news.ycombinator.com/', 'https://t.co/']) {
      expect(referrers.has(r), r).toBe(true)
    }
    expect([...referrers].some((r) => r?.startsWith('https://example.com/'))).toBe(true)
  })

  it('gives visitors stable ids, devices and locales across sessions', () => {
    const events = createGenerator({ seed: 11, visitors: 50, botShare: 0 }).events(5_000)
    const profile = new Map<string, string>()
    for (const e of events) {
      const key = `${e.user_id}|${e.context?.userAgent}|${e.context?.locale}|${e.context?.screen?.width}`
      const seen = profile.get(e.anonymous_id!)
      if (seen) expect(key).toBe(seen)
      else profile.set(e.anonymous_id!, key)
    }
    expect(profile.size).toBeLessThanOrEqual(50)
    // Identify is sent once per known user.
    const identifies = events.filter((e) => e.type === 'identify')
    expect(new Set(identifies.map((e) => e.user_id)).size).toBe(identifies.length)
    expect(identifies.every((e) => typeof e.traits?.email === 'string')).toBe(true)
  })

  it('roughly matches the configured bot and identified shares', () => {
    for (const [botShare, identifiedShare] of [
      [0.1, 0.2],
      [0.4, 0.6],
      [0, 0],
    ] as const) {
      const gen = createGenerator({ seed: 'shares', visitors: 20_000, botShare, identifiedShare })
      const events = gen.events(60_000)
      const counts = expectedCounts(events)
      expect(counts.bots / counts.events).toBeCloseTo(botShare, 1)
      const humans = new Map<string, boolean>()
      for (const e of events) if (!gen.isBot(e)) humans.set(e.anonymous_id!, e.user_id !== undefined)
      const identified = [...humans.values()].filter(Boolean).length / humans.size
      expect(Math.abs(identified - identifiedShare)).toBeLessThan(0.05)
      // Bots never act or identify: they only view pages.
      expect(events.filter((e) => gen.isBot(e)).every((e) => e.type === 'page')).toBe(true)
    }
  })

  it('labels exactly the bot user agents as bots', () => {
    expect(BOT_AGENTS.items.every((a) => isBotUserAgent(a.ua))).toBe(true)
    expect(HUMAN_AGENTS.items.some((a) => isBotUserAgent(a.ua))).toBe(false)
    expect(isBotUserAgent(undefined)).toBe(false)
  })

  it('keeps message_ids unique across 100k events', () => {
    const events = createGenerator({ seed: 99, botShare: 0.3 }).events(100_000)
    expect(new Set(events.map((e) => e.message_id)).size).toBe(100_000)
  })

  it('counts persons as user_id else anonymous_id, and respects a filter', () => {
    const gen = createGenerator({ seed: 5, sites: ['one', 'two'] })
    const events = gen.events(10_000)
    const all = expectedCounts(events)
    const one = expectedCounts(events, (e) => gen.siteOf(e) === 'one')
    const two = expectedCounts(events, (e) => gen.siteOf(e) === 'two')
    expect(one.events + two.events).toBe(all.events)
    expect(all.events).toBe(10_000)
    expect(Object.values(all.byEvent).reduce((a, b) => a + b, 0)).toBe(all.events)
    expect(all.pageviews).toBe(all.byEvent.$pageview)
    const persons = new Set(events.map((e) => e.user_id ?? e.anonymous_id))
    expect(all.uniqueVisitors).toBe(persons.size)
    expect(all.humans.events + all.bots).toBe(all.events)
    expect(gen.hostOf('one')).toBe('one.example.com')
  })

  it('reports generation speed', () => {
    const gen = createGenerator({ seed: 'speed', visitors: 100_000 })
    const started = performance.now()
    const batches = gen.batches(200_000, 500)
    const seconds = (performance.now() - started) / 1000
    console.log(
      `generator: ${Math.round(200_000 / seconds).toLocaleString('en')} events/s (${batches.length} batches)`,
    )
    expect(batches.length).toBeGreaterThan(0)
  })
})

describe('helpers', () => {
  it('tempDir creates and removes a directory', async () => {
    const { existsSync } = await import('node:fs')
    const dir = await tempDir('sightline-test-')
    expect(existsSync(dir.path)).toBe(true)
    await dir.cleanup()
    expect(existsSync(dir.path)).toBe(false)
  })

  it('freePort returns a bindable port', async () => {
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
    const { createServer } = await import('node:net')
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
})
