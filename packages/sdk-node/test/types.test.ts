import { describe, expect, it } from 'vitest'
import { Sightline } from '../src/index.ts'

// The typed API refuses calls the edge would reject; `tsc` checks the @ts-expect-error lines
// (an unused directive is itself an error), the runtime check below covers untyped callers.
function typeChecks(s: Sightline) {
  // @ts-expect-error: a track call needs an event name
  s.track({ userId: 'u' })
  // @ts-expect-error: every call names who did it
  s.track({ event: 'E' })
  // @ts-expect-error: alias needs the previous id
  s.alias({ userId: 'u' })
  // @ts-expect-error: group needs a group id
  s.group({ userId: 'u' })
  s.track({ event: 'E', anonymousId: 'a' })
  s.identify({ userId: 'u', traits: { plan: 'pro' } })
}

describe('typed calls', () => {
  it('reports an untyped call without an identity as dropped (invalid), without sending', async () => {
    let requests = 0
    const drops: string[] = []
    const sdk = new Sightline({
      writeKey: 'wk_test',
      host: 'http://127.0.0.1:9',
      fetch: async () => {
        requests++
        return new Response(null, { status: 200 })
      },
      onDrop: (d) => drops.push(d.reason),
    })
    sdk.track({ event: 'No One' } as never)
    await sdk.shutdown()
    expect(drops).toEqual(['invalid'])
    expect(requests).toBe(0)
    expect(sdk.stats().dropped.invalid).toBe(1)
    void typeChecks
  })
})
