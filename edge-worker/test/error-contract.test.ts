import { responseContractProblems } from '@sightline/http'
import { describe, expect, it } from 'vitest'
import { makeEvent, post, testApp } from './support/harness.ts'

// Every error path of the edge through the one contract check every service shares.
describe('edge error contract', () => {
  const cases: Array<[string, () => Promise<Response>]> = [
    [
      'missing write key',
      () => post(testApp().app, '/v1/batch', { batch: [makeEvent()] }, { authorization: '' }),
    ],
    [
      'unknown write key',
      () => post(testApp().app, '/v1/batch', { batch: [makeEvent()] }, { authorization: 'Bearer wk_nope' }),
    ],
    ['invalid JSON', () => post(testApp().app, '/v1/batch', '{"batch": [')],
    ['empty batch', () => post(testApp().app, '/v1/batch', { batch: [] })],
    ['every event invalid', () => post(testApp().app, '/v1/batch', { batch: [{ type: 'track' }] })],
    ['payload too large', () => post(testApp().app, '/v1/batch', `{"batch":["${'x'.repeat(600_000)}"]}`)],
    ['no bridge accepts', () => post(testApp(['fail', 'fail']).app, '/v1/batch', { batch: [makeEvent()] })],
    ['unknown route', async () => testApp().app.request('/nowhere')],
  ]
  it.each(cases)('%s', async (_name, send) => {
    const res = await send()
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(await responseContractProblems(res)).toEqual([])
  })
})
