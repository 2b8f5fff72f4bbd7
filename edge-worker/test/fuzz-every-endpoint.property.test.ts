import { ERROR_CODES } from '@sightline/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SURFACE_ROUTES } from '../src/routes/ingest.ts'
import { gzip, testApp, WRITE_KEY } from './support/harness.ts'
import { hostileBody, hostileHeaders, hostileQuery } from './support/hostile.ts'

// The issue's bar: at least 10,000 random and hostile requests at EVERY ingestion endpoint,
// zero 5xx, zero crashes, and every refusal in the error contract. The bridge answers
// at once (stubbed fetch): what is under test is the edge's handling of its input.
const RUNS_PER_ENDPOINT = 10_000
const codes = new Set<string>(ERROR_CODES)

function authHeaders(kind: string): Record<string, string> {
  if (kind === 'basic') return { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` }
  if (kind === 'bearer') return { authorization: `Bearer ${WRITE_KEY}` }
  if (kind === 'header') return { 'x-write-key': WRITE_KEY }
  if (kind === 'garbage') return { authorization: 'Basic %%%not-base64' }
  return {}
}

async function expectContract(res: Response, what: string): Promise<void> {
  if (res.status < 400) {
    // Success bodies differ per surface (JSON, 204, a GIF): only the status matters here.
    await res.arrayBuffer()
    return
  }
  const text = await res.text()
  expect(res.status, `${what} → ${text.slice(0, 300)}`).toBeLessThan(500)
  const body = JSON.parse(text) as { error?: { code?: string; message?: string; request_id?: string } }
  expect(codes.has(body.error?.code ?? ''), `${what}: ${text.slice(0, 200)}`).toBe(true)
  expect(body.error?.message, what).toBeTruthy()
  expect(body.error?.request_id, what).toBeTruthy()
}

describe('fuzz: every ingestion endpoint', () => {
  const { app } = testApp(['ok'], { fetch: async () => new Response('{"ok":true}') })

  for (const route of SURFACE_ROUTES) {
    it(`${route.method} ${route.path}: ${RUNS_PER_ENDPOINT} hostile requests, no 5xx, contract errors`, async () => {
      let runs = 0
      if (route.method === 'GET') {
        await fc.assert(
          fc.asyncProperty(hostileQuery, fc.boolean(), async (params, withKey) => {
            runs++
            const query = new URLSearchParams(withKey ? { ...params, k: WRITE_KEY } : params)
            const res = await app.request(`${route.path}?${query}`)
            await expectContract(res, `${route.path}?${query}`.slice(0, 300))
          }),
          { numRuns: RUNS_PER_ENDPOINT },
        )
      } else {
        await fc.assert(
          fc.asyncProperty(hostileBody, hostileHeaders, hostileQuery, async (body, h, params) => {
            runs++
            const headers: Record<string, string> = { ...authHeaders(h.auth) }
            if (h.contentType) headers['content-type'] = h.contentType
            if (h.encoding) headers['content-encoding'] = h.encoding
            if (h.origin) headers.origin = h.origin
            const zipped = h.encoding === 'gzip' || h.encoding === 'x-gzip'
            const res = await app.request(`${route.path}?${new URLSearchParams(params)}`, {
              method: 'POST',
              headers,
              body: zipped ? await gzip(body) : body,
            })
            await expectContract(res, `${route.path} ${new TextDecoder().decode(body.slice(0, 200))}`)
          }),
          { numRuns: RUNS_PER_ENDPOINT },
        )
      }
      expect(runs).toBeGreaterThanOrEqual(RUNS_PER_ENDPOINT)
      // 10,000 requests take a few seconds alone but can take a minute on a loaded machine.
    }, 120_000)
  }
})
