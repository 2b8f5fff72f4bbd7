import { afterEach, describe, expect, it } from 'vitest'
import { type BridgeSite, DEFAULT_RETENTION_DAYS, type FollowedSites, followSites } from '../src/index.ts'

/**
 * The follower against a source in memory: a versioned site list, a gate that holds every load
 * open until released, and a switch that makes loads fail. It counts loads and how many were
 * out at once.
 */
interface View {
  version: number
  sites: BridgeSite[]
}

const site = (site_id: string, retention_days: number): BridgeSite => ({
  site_id,
  retention_days,
  privacy: { keep_ip: false, cookieless: false },
  events_per_minute: 0,
})

function source() {
  const s = {
    view: { version: 1, sites: [site('shop', 30)] } as View,
    loads: 0,
    out: 0,
    maxOut: 0,
    fail: undefined as Error | undefined,
    gate: Promise.resolve(),
    release: () => {},
    hold() {
      s.gate = new Promise((resolve) => {
        s.release = resolve
      })
    },
    // Reads the source when it starts, answers when the gate opens: a change landing while a
    // load is out is not in that load's answer.
    async load(current: View | undefined): Promise<View | 'unchanged'> {
      s.loads++
      s.out++
      s.maxOut = Math.max(s.maxOut, s.out)
      const seen = s.view
      const fail = s.fail
      try {
        await s.gate
        if (fail) throw fail
        return seen.version === current?.version ? 'unchanged' : seen
      } finally {
        s.out--
      }
    },
  }
  return s
}

const followed: FollowedSites<View>[] = []
afterEach(() => {
  for (const f of followed.splice(0)) f.stop()
})

async function follow(
  src: ReturnType<typeof source>,
  options: { pollMs?: number; onError?: (err: unknown) => void; onChange?: (v: View) => void } = {},
) {
  const f = await followSites({
    load: src.load,
    sites: (v) => v.sites,
    pollMs: options.pollMs ?? 60_000,
    onError: options.onError,
    onChange: options.onChange,
  })
  followed.push(f)
  return f
}

const waitMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('following sites from a polled source', () => {
  it('answers from the first load, defaults for a site it does not list', async () => {
    const src = source()
    const f = await follow(src)
    expect(f.current().version).toBe(1)
    expect(f.settings.retentionDays('shop')).toBe(30)
    expect(f.settings.retentionDays('other')).toBe(DEFAULT_RETENTION_DAYS)
    expect(f.settings.eventsPerMinute('other')).toBeUndefined()
  })

  it('does not start when the first load fails, and leaves no poll behind', async () => {
    const src = source()
    src.fail = new Error('source down')
    await expect(follow(src, { pollMs: 5 })).rejects.toThrow('source down')
    await waitMs(30)
    expect(src.loads).toBe(1)
  })

  it('refuses a first load that answers unchanged: there is nothing to keep', async () => {
    await expect(
      followSites<View>({ load: async () => 'unchanged', sites: (v) => v.sites, pollMs: 60_000 }),
    ).rejects.toThrow(/first load/)
  })

  it('loads one at a time; a refresh asked for during a load loads again after it', async () => {
    const src = source()
    const f = await follow(src)
    src.hold()
    const during = f.refresh()
    // The change lands after that load read the source, and its caller asks for it.
    src.view = { version: 2, sites: [site('shop', 90)] }
    const after = f.refresh()
    const third = f.refresh()
    await waitMs(10)
    expect(src.out).toBe(1)
    expect(src.loads).toBe(2)
    src.release()
    expect(await during).toBe(false)
    expect(await after).toBe(true)
    expect(await third).toBe(false)
    expect(src.loads).toBe(4)
    expect(src.maxOut).toBe(1)
    expect(f.current().version).toBe(2)
    expect(f.settings.retentionDays('shop')).toBe(90)
  })

  it('skips a poll due while a load is out, and polls again once it is back', async () => {
    const src = source()
    const f = await follow(src, { pollMs: 5 })
    src.hold()
    const held = f.refresh()
    const loads = src.loads
    await waitMs(50)
    expect(src.loads).toBe(loads)
    src.release()
    await held
    await expect.poll(() => src.loads, { timeout: 2000 }).toBeGreaterThan(loads)
    expect(src.maxOut).toBe(1)
  })

  it('keeps the last load while polls fail, reports each, and takes the next change', async () => {
    const src = source()
    const errors: unknown[] = []
    const changes: Array<{ version: number; retention: number }> = []
    const f = await follow(src, {
      pollMs: 10,
      onError: (err) => errors.push(err),
      // Told once the change is in place: the settings already answer from it.
      onChange: (v) => changes.push({ version: v.version, retention: f.settings.retentionDays('shop') }),
    })
    src.fail = new Error('source down')
    src.view = { version: 2, sites: [site('shop', 7)] }
    await expect.poll(() => errors.length, { timeout: 2000 }).toBeGreaterThanOrEqual(2)
    expect(String(errors[0])).toMatch(/source down/)
    expect(f.current().version).toBe(1)
    expect(f.settings.retentionDays('shop')).toBe(30)
    expect(changes).toEqual([])

    src.fail = undefined
    await expect.poll(() => f.settings.retentionDays('shop'), { timeout: 2000 }).toBe(7)
    expect(f.current().version).toBe(2)
    expect(changes).toEqual([{ version: 2, retention: 7 }])
  })

  it('stops polling when stopped', async () => {
    const src = source()
    const f = await follow(src, { pollMs: 5 })
    await expect.poll(() => src.loads, { timeout: 2000 }).toBeGreaterThan(1)
    f.stop()
    const loads = src.loads
    await waitMs(50)
    expect(src.loads).toBe(loads)
  })
})
