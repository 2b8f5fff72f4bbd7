import { describe, expect, it } from 'vitest'
import { Counters } from '../src/metrics.ts'

describe('bridge counters on prom-client', () => {
  it('exposes described counters with their labels and keeps values readable at once', async () => {
    const counters = new Counters()
    counters.describe('sightline_bridge_events_total', 'Events appended to the stream')
    counters.inc('sightline_bridge_events_total', { site: 'a', outcome: 'ok' }, 3)
    // Label order does not matter: the same series.
    counters.inc('sightline_bridge_events_total', { outcome: 'ok', site: 'a' })
    counters.inc('sightline_bridge_events_total', { site: 'b"q', outcome: 'ok' })
    expect(counters.get('sightline_bridge_events_total', { site: 'a', outcome: 'ok' })).toBe(4)
    expect(counters.total('sightline_bridge_events_total')).toBe(5)
    const text = await counters.render()
    expect(text).toContain('# HELP sightline_bridge_events_total Events appended to the stream')
    expect(text).toContain('# TYPE sightline_bridge_events_total counter')
    expect(text).toMatch(/^sightline_bridge_events_total\{site="a",outcome="ok"\} 4$/m)
    expect(text).toMatch(/^sightline_bridge_events_total\{site="b\\"q",outcome="ok"\} 1$/m)
    expect(counters.contentType).toMatch(/^text\/plain/)
  })

  it('refuses a counter used with other label names than it was created with', () => {
    const counters = new Counters()
    counters.inc('sightline_x_total', { site: 'a' })
    expect(() => counters.inc('sightline_x_total', { site: 'a', reason: 'r' })).toThrow(/labels \[site\]/)
  })

  it('adds the process metrics only when asked', async () => {
    expect(await new Counters().render()).not.toContain('process_cpu_seconds_total')
    expect(await new Counters({ processMetrics: true }).render()).toContain('process_cpu_seconds_total')
  })
})
