import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import {
  HttpError,
  installErrorHandling,
  type RequestIdEnv,
  renderError,
  requestId,
  responseContractProblems,
  retryAfterFor,
} from '../src/index.ts'

function app(trust?: readonly string[]) {
  const bugs: unknown[] = []
  const a = new Hono<RequestIdEnv>()
  a.use(requestId(trust ? { trust } : {}))
  installErrorHandling(a, { onBug: (err) => bugs.push(err) })
  a.get('/ok', (c) => c.json({ ok: true }))
  a.get('/limited', () => {
    throw new HttpError('rate_limited', 'slow down', { retryAfterS: 2.2 })
  })
  a.get('/refused', (c) => renderError(c, 'invalid_event', 'bad', { extra: { rejected: [] } }))
  a.get('/bug', () => {
    throw new Error('secret internals')
  })
  a.get('/hono-413', () => {
    throw new HTTPException(413, { message: 'too big' })
  })
  return { a, bugs }
}

describe('the shared error module', () => {
  it('renders thrown HttpErrors with the contract body, status, Retry-After and X-Request-Id', async () => {
    const res = await app().a.request('/limited')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('3')
    expect(await responseContractProblems(res)).toEqual([])
    const body = (await res.json()) as { error: { code: string; request_id: string } }
    expect(body.error.code).toBe('rate_limited')
    expect(body.error.request_id).toBe(res.headers.get('x-request-id'))
  })

  it('keeps extra fields next to error and sends no Retry-After on a 400', async () => {
    const res = await app().a.request('/refused')
    expect(res.status).toBe(400)
    expect(res.headers.get('retry-after')).toBeNull()
    expect(await responseContractProblems(res)).toEqual([])
    expect(await res.json()).toHaveProperty('rejected', [])
  })

  it('answers bugs with a bare 500 and hands the cause to onBug only', async () => {
    const { a, bugs } = app()
    const res = await a.request('/bug')
    expect(res.status).toBe(500)
    expect(await res.text()).not.toContain('secret internals')
    expect(bugs).toHaveLength(1)
    expect(await responseContractProblems(await a.request('/bug'))).toEqual([])
  })

  it('maps Hono exceptions and unknown routes onto contract codes', async () => {
    const { a } = app()
    const big = await a.request('/hono-413')
    expect(big.status).toBe(413)
    expect(await responseContractProblems(big)).toEqual([])
    const missing = await a.request('/nowhere')
    expect(missing.status).toBe(404)
    expect(await responseContractProblems(missing)).toEqual([])
  })

  it('reuses a well-formed incoming id and mints one for markup or oversized ids', async () => {
    const { a } = app(['cf-ray'])
    const kept = await a.request('/ok', { headers: { 'cf-ray': '8c1f0e7d5a2b4c3e-AMS' } })
    expect(kept.headers.get('x-request-id')).toBe('8c1f0e7d5a2b4c3e-AMS')
    for (const hostile of ['<script>alert(1)</script>', 'a'.repeat(500), 'x y', '']) {
      const res = await a.request('/nowhere', { headers: { 'cf-ray': hostile } })
      const id = res.headers.get('x-request-id') ?? ''
      expect(id).not.toBe(hostile)
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      expect(await res.text()).not.toContain('<script>')
    }
  })

  it('sends Retry-After on exactly 429, 503 and 504', () => {
    expect(retryAfterFor('rate_limited')).toBe(5)
    expect(retryAfterFor('not_durable', 1)).toBe(1)
    expect(retryAfterFor('warehouse_unavailable', 0)).toBe(1)
    expect(retryAfterFor('internal')).toBeUndefined()
    expect(retryAfterFor('invalid_json', 5)).toBeUndefined()
  })

  it('the contract check itself finds broken responses', async () => {
    const bare = new Response('oops', { status: 500 })
    expect((await responseContractProblems(bare)).length).toBeGreaterThan(1)
    const wrongStatus = new Response(
      JSON.stringify({ error: { code: 'not_found', message: 'm', docs: 'x#not_found', request_id: 'r' } }),
      { status: 400, headers: { 'content-type': 'application/json', 'x-request-id': 'r' } },
    )
    expect(await responseContractProblems(wrongStatus)).toEqual(['code not_found maps to 404, got 400'])
  })
})
