import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { insertWatermark } from '../src/adapters/insert-watermark.ts'
import { systemTimers } from '../src/adapters/system-timers.ts'
import { nextClockRun } from '../src/live/clock-runs.ts'
import { type Evaluated, type Member, QueryGroups, RUN_SHARE } from '../src/live/query-groups.ts'

// The shared-run coordinator on its own: a real watermark advanced by real (tracked) insert
// calls, fake timers (and clock) for the debounce and clock runs, and an evaluator that
// counts its runs and answers from a value the test changes, so "changed" and "one run per
// watermark" are observable. A spec `{ window_ms }` moves with the clock: it answers how
// many of `events` (instants) lie in the `window_ms` before the instant it is resolved at.
const stubWarehouse = {
  insert: async () => {},
  command: async () => {},
} as never

let result: string
let runs: number
let failNext: Error | undefined
let events: number[]
/** While set, a run waits for it before answering (a run that is still going). */
let gate: Promise<void> | undefined

interface TestSpec {
  window_ms?: number
  /** The run takes this long (on the fake clock). */
  run_ms?: number
  label?: string
}

/** Labels of the specs whose evaluation started, in order. */
let started: string[]

function setup(minIntervalMs = 1_000) {
  const watermark = insertWatermark()
  const tracked = watermark.track(stubWarehouse) as unknown as {
    insert(table: string, rows: object[]): Promise<void>
  }
  const groups = new QueryGroups({
    watermark,
    minIntervalMs,
    timers: systemTimers,
    evaluate: async (_site, spec, atMs): Promise<Evaluated> => {
      runs++
      const { run_ms, label } = spec as TestSpec
      if (label) started.push(label)
      await Promise.resolve()
      if (run_ms) await new Promise((r) => setTimeout(r, run_ms))
      if (gate) await gate
      if (failNext) {
        const err = failNext
        failNext = undefined
        throw err
      }
      const { window_ms } = spec as TestSpec
      if (window_ms === undefined) return { data: { value: result }, fingerprint: result }
      // [at − window, at), as a real range: `from` included, `to` not.
      const inWindow = events.filter((t) => t >= atMs - window_ms && t < atMs).length
      return { data: { value: inWindow }, fingerprint: String(inWindow) }
    },
    clockRunAfter: (spec, atMs) =>
      (spec as TestSpec).window_ms === undefined ? undefined : nextClockRun(atMs, 60_000),
    acquire: async () => () => {},
    maxConcurrentRuns: 1,
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
  events = []
  gate = undefined
  started = []
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

describe('live query groups: sharing the read slot', () => {
  it('re-runs a slow spec at most once per RUN_SHARE times its run', async () => {
    const { groups, commit } = setup(1_000)
    groups.join('s', 'slow', { label: 'slow', run_ms: 500 }, member().m, true)
    await vi.advanceTimersByTimeAsync(500)
    expect(started).toEqual(['slow'])
    // Commits every 100 ms for 6 s: a 500 ms run may start every 2 s (a quarter of the slot).
    for (let i = 0; i < 60; i++) {
      await commit('s')
      await vi.advanceTimersByTimeAsync(100)
    }
    expect(RUN_SHARE).toBe(4)
    expect(started.length).toBeGreaterThanOrEqual(3)
    expect(started.length).toBeLessThanOrEqual(4)
  })

  it('evaluates one spec at a time, and a cheap spec overtakes a slow one that queued earlier', async () => {
    const { groups, commit } = setup(1_000)
    groups.join('busy', 'a', { label: 'a', run_ms: 400 }, member().m, true)
    groups.join('busy', 'b', { label: 'b', run_ms: 300 }, member().m, true)
    groups.join('quiet', 'c', { label: 'c', run_ms: 20 }, member().m, true)
    // First runs go in arrival order, one at a time: a 0–400, b 400–700, c 700–720.
    await vi.advanceTimersByTimeAsync(720)
    expect(started).toEqual(['a', 'b', 'c'])
    started = []
    // Due again (RUN_SHARE × cost after the start, or the 1 s interval): a and b at 1600, c at 1700.
    await commit('busy')
    await commit('quiet')
    await vi.advanceTimersByTimeAsync(1_180)
    // t = 1900: a runs 1600–2000; b has waited since 1600, c since 1700.
    expect(started).toEqual(['a'])
    // At 2000 c's ratio, (300 + 20) / 20, beats b's, (400 + 300) / 300: c goes first although
    // b queued first (first come, first served would have run b).
    await vi.advanceTimersByTimeAsync(400)
    expect(started).toEqual(['a', 'c', 'b'])
  })
})

describe('live query groups: clock runs (a range that moves with the clock)', () => {
  const at = (hms: string) => new Date(`2026-03-01T${hms}Z`).getTime()
  const FIVE_MIN = { window_ms: 5 * 60_000 }
  /**
   * Then 1 ms more: a clock timer firing hands over to the debounce, whose zero delay Node (and
   * so the fake timers) rounds up to 1 ms.
   */
  const advanceBy = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms)
    await vi.advanceTimersByTimeAsync(1)
    await settle()
  }
  const advanceTo = (hms: string) => advanceBy(at(hms) - Date.now())

  it('re-runs on the minute with no commit, once for all members, and pushes when an event aged out', async () => {
    vi.setSystemTime(at('12:00:30'))
    events = [at('11:56:10'), at('11:58:00')]
    const { groups, watermark } = setup()
    const a = member('k1')
    const b = member('k2')
    groups.join('s', 'five-min', FIVE_MIN, a.m, true)
    groups.join('s', 'five-min', FIVE_MIN, b.m, true)
    await settle()
    expect(runs).toBe(1)
    const snapshot = { kind: 'snapshot', data: { value: 2 }, watermark: watermark.forSite('s') }
    expect(a.got).toEqual([snapshot])

    // 12:01:01: the window starts at 11:56:01, both events still in it: a run, nothing pushed.
    await advanceTo('12:01:01')
    expect(runs).toBe(2)
    expect(a.got).toHaveLength(1)

    // 12:02:01: 11:56:10 has left the window. No commit happened; the data did not move.
    await advanceTo('12:02:01')
    expect(runs).toBe(3)
    const update = { kind: 'update', data: { value: 1 }, watermark: snapshot.watermark }
    expect(a.got).toEqual([snapshot, update])
    expect(b.got).toEqual([snapshot, update])

    // Exactly one run per minute while nothing happens: no run between the steps.
    await advanceTo('12:03:00.998') // + the helper's 1 ms: 12:03:00.999
    expect(runs).toBe(3)
    await advanceTo('12:03:01')
    expect(runs).toBe(4)
  })

  it('never re-runs an absolute spec on the clock: it holds no timer at all', async () => {
    vi.setSystemTime(at('12:00:30'))
    const { groups } = setup()
    const a = member()
    groups.join('s', 'absolute', {}, a.m, true)
    await settle()
    expect(runs).toBe(1)
    expect(groups.clockWaiting()).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    await advanceBy(3 * 3_600_000)
    expect(runs).toBe(1)
  })

  it('clears its clock timer when the last member leaves, and every one on close', async () => {
    vi.setSystemTime(at('12:00:30'))
    const { groups } = setup()
    const a = member()
    const b = member()
    const c = member()
    const leaveA = groups.join('s', 'five-min', FIVE_MIN, a.m, true)
    const leaveB = groups.join('s', 'five-min', FIVE_MIN, b.m, true)
    groups.join('s', 'ten-min', { window_ms: 10 * 60_000 }, c.m, true)
    await settle()
    expect(groups.clockWaiting()).toBe(2)
    expect(vi.getTimerCount()).toBe(2)
    leaveA()
    expect(vi.getTimerCount()).toBe(2) // b is still there
    leaveB()
    expect(groups.clockWaiting()).toBe(1)
    expect(vi.getTimerCount()).toBe(1)
    groups.close()
    expect(groups.size()).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    const before = runs
    await advanceBy(10 * 60_000)
    expect(runs).toBe(before)
  })

  it('a clock run due while a slow commit run is going runs after it, spaced by its cost', async () => {
    vi.setSystemTime(at('12:00:30'))
    events = [at('11:56:10')]
    const { groups, commit } = setup()
    const a = member()
    groups.join('s', 'five-min', FIVE_MIN, a.m, true)
    await settle()
    expect(runs).toBe(1)
    // A commit at 12:00:50 starts a run resolved then that is still going at 12:01:05.
    let open = () => {}
    gate = new Promise((r) => {
      open = r
    })
    await advanceBy(20_000)
    await commit('s')
    await settle()
    expect(runs).toBe(2)
    await advanceTo('12:01:05')
    expect(runs).toBe(2)
    gate = undefined
    open()
    // That run began before 12:01:00, so it cannot stand for the clock run. Its runs now cost
    // (0 + 15 s) / 2 on average, so the next may start RUN_SHARE times that after it began:
    // 12:00:50 + 30 s.
    await settle()
    expect(runs).toBe(2)
    await advanceTo('12:01:19')
    expect(runs).toBe(2)
    await advanceTo('12:01:20')
    expect(runs).toBe(3)
    // 11:56:10 left the window at 12:01:10; that run says so.
    expect(a.got.at(-1)).toMatchObject({ kind: 'update', data: { value: 0 } })
  })

  it('keeps the clock going after a failed clock run', async () => {
    vi.setSystemTime(at('12:00:30'))
    events = [at('11:56:10')]
    const { groups } = setup()
    const a = member()
    groups.join('s', 'five-min', FIVE_MIN, a.m, true)
    await settle()
    failNext = new Error('warehouse_unavailable')
    await advanceTo('12:01:01')
    expect(a.got.at(-1)).toEqual({ kind: 'error', initial: false })
    await advanceBy(60_000)
    expect(runs).toBe(3)
    expect(a.got.at(-1)).toMatchObject({ kind: 'update', data: { value: 0 } })
  })
})
