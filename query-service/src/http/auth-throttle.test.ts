import { describe, expect, it } from 'vitest'
import { authThrottle } from './auth-throttle.ts'

describe('authThrottle', () => {
  it('allows a burst of failures, then asks to wait until one refills', () => {
    let t = 0
    const throttle = authThrottle({ burst: 3, refillS: 10, now: () => t })
    for (let i = 0; i < 3; i++) {
      expect(throttle.waitS('a')).toBe(0)
      throttle.fail('a')
    }
    expect(throttle.waitS('a')).toBe(10)
    t = 4_000
    expect(throttle.waitS('a')).toBe(6)
    t = 10_000
    expect(throttle.waitS('a')).toBe(0)
    throttle.fail('a')
    expect(throttle.waitS('a')).toBe(10)
  })

  it('keeps addresses apart', () => {
    const throttle = authThrottle({ burst: 1, refillS: 60, now: () => 0 })
    throttle.fail('a')
    expect(throttle.waitS('a')).toBe(60)
    expect(throttle.waitS('b')).toBe(0)
  })

  it('forgets the least recently failing address beyond its size cap', () => {
    const throttle = authThrottle({ burst: 1, refillS: 60, maxAddresses: 2, now: () => 0 })
    throttle.fail('a')
    throttle.fail('b')
    throttle.fail('a')
    throttle.fail('c')
    expect(throttle.waitS('b')).toBe(0)
    expect(throttle.waitS('a')).toBe(60)
    expect(throttle.waitS('c')).toBe(60)
  })
})
