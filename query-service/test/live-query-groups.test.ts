import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { type Evaluated, type Member, QueryGroups } from '../src/live/query-groups.ts'

// The shared-run coordinator on its own: a real watermark advanced by real (tracked) insert
// calls, fake timers for the debounce, and an evaluator that counts its runs and answers
// from a value the test changes, so "changed" and "one run per watermark" are observable.
const stubWarehouse = {
  insert: async () => {},
  command: async () => {},
} as never

let result: string
let runs: number
let failNext: Error | undefined

function setup(minIntervalMs = 1_000) {
  const watermark = insertWatermark()
  const tracked = watermark.track(stubWarehouse) as unknown as {
    insert(table: string, rows: object[]): Promise<void>
  }
  const groups = new QueryGroups({
    watermark,
    minIntervalMs,
    now: () => Date.now(),
    evaluate: async (): Promise<Evaluated> => {
      runs++
      await Promise.resolve()
      if (failNext) {
        const err = failNext
        failNext = undefined
        throw err
      }
      return { data: { value: result }, fingerprint: result }
    },
    acquire: async () => () => {},
  })
  const commit = (site: string) => tracked.insert('events', [{ site_id: site }])
  return { groups, watermark, commit }
}

function member(key = 'k') {
  const got: { kind: string; data?: unknown; watermark?: string; initial?: boolean }[] = []
  const m: Member = {
    key,
    deliver: (kind, data, watermark) => got.push({ kind, data, watermark }),
    fail: (_err, initial) => got.push({ kind: 'error', initial }),
  }
  return { m, got }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0)
}

beforeEach(() => {
  vi.useFakeTimers()
  result = 'a'
  runs = 0
  failNext = undefined
})
afterEach(() => vi.useRealTimers())

describe('live query groups', () => {
  it('runs once for two subscribers of the same spec and snapshots both with the watermark', async () => {
    const { groups, watermark } = setup()
    const a = member()
    const b = member()
    groups.join('s', 'spec', {}, a.m, true)
    groups.join('s', 'spec', {}, b.m, true)
    await settle()
    expect(runs).toBe(1)
    expect(a.got).toEqual([{ kind: 'snapshot', data: { value: 'a' }, watermark: watermark.forSite('s') }])
    expect(b.got).toEqual(a.got)
    // A late joiner gets the group's result without another run.
    const c = member()
    groups.join('s', 'spec', {}, c.m, true)
    expect(c.got).toEqual(a.got)
    expect(runs).toBe(1)
  })

  it('re-runs on a commit of its site only, and pushes an update only when the result changed', async () => {
    const { groups, commit, watermark } = setup()
    const a = member()
    groups.join('s', 'spec', {}, a.m, true)
    await settle()
    await commit('other-site')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(runs).toBe(1)
    await commit('s')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(runs).toBe(2)
    expect(a.got).toHaveLength(1) // same result: nothing pushed
    result = 'b'
    await commit('s')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(runs).toBe(3)
    expect(a.got.at(-1)).toEqual({ kind: 'update', data: { value: 'b' }, watermark: watermark.forSite('s') })
  })

  it('debounces: a burst of commits gives one run per interval, the last commit never lost', async () => {
    const { groups, commit, watermark } = setup(1_000)
    const a = member()
    groups.join('s', 'spec', {}, a.m, true)
    await settle()
    expect(runs).toBe(1)
    for (let i = 0; i < 10; i++) {
      result = `v${i}`
      await commit('s')
      await vi.advanceTimersByTimeAsync(150)
    }
    // 1.5 s of commits after the first run: runs at ~1 s and then at most one more.
    expect(runs).toBeLessThanOrEqual(3)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(a.got.at(-1)).toEqual({ kind: 'update', data: { value: 'v9' }, watermark: watermark.forSite('s') })
    const updates = a.got.filter((g) => g.kind === 'update').length
    expect(updates).toBe(runs - 1)
  })

  it('a resumed member gets no snapshot, only later updates; a failed first run ends with initial', async () => {
    const { groups, commit } = setup()
    const resumed = member()
    groups.join('s', 'spec', {}, resumed.m, false)
    await settle()
    expect(runs).toBe(0)
    result = 'b'
    await commit('s')
    await vi.advanceTimersByTimeAsync(1_000)
    expect(resumed.got).toMatchObject([{ kind: 'update', data: { value: 'b' } }])

    failNext = new Error('boom')
    const fresh = member()
    groups.join('s', 'other-spec', {}, fresh.m, true)
    await settle()
    expect(fresh.got).toEqual([{ kind: 'error', initial: true }])
  })

  it('stops running a spec once its last subscriber left', async () => {
    const { groups, commit } = setup()
    const a = member()
    const leave = groups.join('s', 'spec', {}, a.m, true)
    await settle()
    leave()
    expect(groups.size()).toBe(0)
    await commit('s')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(runs).toBe(1)
  })
})
