import { describe, expect, it } from 'vitest'
import { RunSlots } from '../src/live/run-slots.ts'

// The live runs' slots on their own, with a clock the test moves: who gets the slot next is
// decided when it is released, so each case holds the slot, queues waiters, moves the clock
// and releases.
function setup(size = 1) {
  let now = 0
  const slots = new RunSlots(size, () => now)
  const order: string[] = []
  const wait = (name: string, expectedMs: number | undefined, signal = new AbortController().signal) =>
    slots.acquire(expectedMs, signal).then((release) => {
      order.push(name)
      return release
    })
  return { slots, order, wait, advance: (ms: number) => (now += ms) }
}

describe('live query run slots', () => {
  it('gives a free slot at once and queues beyond the size', async () => {
    const { slots, wait, order } = setup(2)
    await wait('a', 100)
    await wait('b', 100)
    const c = wait('c', 100)
    await Promise.resolve()
    expect(order).toEqual(['a', 'b'])
    expect(slots.queued()).toBe(1)
    void c
  })

  it('lets a cheap run overtake an expensive one that has waited less than its own length', async () => {
    const { wait, order, advance } = setup()
    const release = await wait('holder', 0)
    const expensive = wait('expensive', 400)
    advance(100)
    const cheap = wait('cheap', 50)
    advance(100)
    // expensive: (200 + 400) / 400 = 1.5; cheap: (100 + 50) / 50 = 3.
    release()
    ;(await cheap)()
    await expensive
    expect(order).toEqual(['holder', 'cheap', 'expensive'])
  })

  it('does not starve an expensive run: waiting ages it past later cheap ones', async () => {
    const { wait, order, advance } = setup()
    const release = await wait('holder', 0)
    const expensive = wait('expensive', 400)
    advance(1_000)
    const cheap = wait('cheap', 50)
    advance(20)
    // expensive: (1020 + 400) / 400 = 3.55; cheap: (20 + 50) / 50 = 1.4.
    release()
    ;(await expensive)()
    await cheap
    expect(order).toEqual(['holder', 'expensive', 'cheap'])
  })

  it('runs a first run (no cost known yet) before known ones', async () => {
    const { wait, order, advance } = setup()
    const release = await wait('holder', 0)
    const known = wait('known', 10)
    advance(500)
    const first = wait('first', undefined)
    release()
    ;(await first)()
    await known
    expect(order).toEqual(['holder', 'first', 'known'])
  })

  it('drops a waiter whose signal aborts, and a release after that goes to the next one', async () => {
    const { slots, wait, order } = setup()
    const release = await wait('holder', 0)
    const abort = new AbortController()
    const gone = wait('gone', 10, abort.signal)
    const stays = wait('stays', 10)
    abort.abort()
    await expect(gone).rejects.toThrow('aborted')
    expect(slots.queued()).toBe(1)
    release()
    await stays
    expect(order).toEqual(['holder', 'stays'])
    // Releasing twice frees one slot only.
    release()
    const after = wait('after', 10)
    await Promise.resolve()
    expect(order).toEqual(['holder', 'stays'])
    void after
  })

  it('refuses an already aborted signal and a size below one', async () => {
    const { slots } = setup()
    const abort = new AbortController()
    abort.abort()
    await expect(slots.acquire(1, abort.signal)).rejects.toThrow('aborted')
    expect(() => new RunSlots(0, () => 0)).toThrow('≥ 1')
  })
})
