import { describe, expect, it } from 'vitest'
import { LIMITS, signBody, verifyBody } from '../src/index.ts'

const keys = { k1: 'secret-one', k2: 'secret-two' }
const now = 1_764_000_000_000

describe('edge → bridge signatures', () => {
  it('verifies what it signs, for every key id (rotation)', async () => {
    for (const kid of ['k1', 'k2'] as const) {
      const header = await signBody('{"a":1}', kid, keys[kid], now)
      expect(await verifyBody(header, '{"a":1}', keys, now)).toEqual({ ok: true, keyId: kid })
    }
  })
  it('refuses a changed body, an unknown key id, a malformed or missing header', async () => {
    const header = await signBody('{"a":1}', 'k1', keys.k1, now)
    expect(await verifyBody(header, '{"a":2}', keys, now)).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    })
    const foreign = await signBody('{"a":1}', 'k9', 'other', now)
    expect(await verifyBody(foreign, '{"a":1}', keys, now)).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    })
    expect(await verifyBody('t=1,kid=k1,v1=zz', '{}', keys, now)).toMatchObject({ ok: false })
    expect(await verifyBody(undefined, '{}', keys, now)).toMatchObject({ ok: false })
  })
  it('refuses signatures outside the replay window', async () => {
    const header = await signBody('{}', 'k1', keys.k1, now - LIMITS.signatureWindowMs - 1)
    expect(await verifyBody(header, '{}', keys, now)).toMatchObject({ ok: false, code: 'stale_signature' })
  })
  it('refuses a signature made with the right id but the wrong secret', async () => {
    const header = await signBody('{}', 'k1', 'not-the-secret', now)
    expect(await verifyBody(header, '{}', keys, now)).toMatchObject({ ok: false, code: 'invalid_signature' })
  })
})
