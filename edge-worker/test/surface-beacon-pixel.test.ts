import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, makeEvent, testApp, WRITE_KEY } from './support/harness.ts'

type App = ReturnType<typeof testApp>['app']

/** As navigator.sendBeacon sends a string: text/plain, no auth header. */
function beacon(app: App, body: string, query = '') {
  return app.request(`/v1/b${query}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
    body,
  })
}

describe('browser beacon POST /v1/b', () => {
  it('takes a native batch with the write key in the body and answers 204', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await beacon(
      app,
      JSON.stringify({ write_key: WRITE_KEY, batch: [makeEvent({ event: 'Left Page' })] }),
    )
    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.ingest_path).toBe('beacon')
    expect(attempt?.batch?.events[0]).toMatchObject({ event: 'Left Page', ingest_path: 'beacon' })
  })

  it('takes one event with the write key in ?k=', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await beacon(app, JSON.stringify(makeEvent({ event: 'Single' })), `?k=${WRITE_KEY}`)
    expect(res.status).toBe(204)
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.events[0]?.event).toBe('Single')
  })

  it('refuses a beacon without a key, with an unknown key, or with bad JSON', async () => {
    const { app } = testApp(['ok'])
    const cases: Array<[string, string, number, string]> = [
      [JSON.stringify({ batch: [makeEvent()] }), '', 401, 'missing_write_key'],
      [JSON.stringify({ batch: [makeEvent()] }), '?k=nope', 401, 'unknown_write_key'],
      ['{"batch": [', `?k=${WRITE_KEY}`, 400, 'invalid_json'],
      [JSON.stringify({ batch: [] }), `?k=${WRITE_KEY}`, 400, 'empty_batch'],
      [JSON.stringify({ batch: [{ type: 'track' }] }), `?k=${WRITE_KEY}`, 400, 'invalid_event'],
    ]
    for (const [body, query, status, code] of cases) {
      const res = await beacon(app, body, query)
      expect(res.status, body).toBe(status)
      expect(((await res.json()) as ErrorJson).error.code).toBe(code)
    }
  })
})

describe('pixel GET /v1/p.gif', () => {
  it('maps the query string to a page view and answers a 1×1 GIF that is never cached', async () => {
    const { app, namespace } = testApp(['ok'])
    const q = new URLSearchParams({
      k: WRITE_KEY,
      u: 'https://blog.example/post?utm_source=rss',
      r: 'https://news.example/',
      ti: 'A post',
      a: 'visitor-7',
      m: 'px-msg-1',
      lang: 'en',
      _: '12345',
    })
    const res = await app.request(`/v1/p.gif?${q}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('image/gif')
    expect(res.headers.get('cache-control')).toContain('no-store')
    const bytes = new Uint8Array(await res.arrayBuffer())
    expect([...bytes.slice(0, 6)].map((b) => String.fromCharCode(b)).join('')).toBe('GIF89a')
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.ingest_path).toBe('pixel')
    expect(attempt?.batch?.events[0]).toMatchObject({
      type: 'page',
      event: '$pageview',
      message_id: 'px-msg-1',
      anonymous_id: 'visitor-7',
      ingest_path: 'pixel',
      properties: { lang: 'en' },
      context: {
        page: {
          url: 'https://blog.example/post?utm_source=rss',
          referrer: 'https://news.example/',
          title: 'A post',
        },
      },
    })
  })

  it('maps e= to a track event, the page from Referer, and generates ids when none are given', async () => {
    const { app, namespace } = testApp(['ok'])
    const res = await app.request(`/v1/p.gif?k=${WRITE_KEY}&e=Email%20Opened&campaign=spring`, {
      headers: { referer: 'https://mail.example/view' },
    })
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    const event = attempt!.batch!.events[0]!
    expect(event).toMatchObject({
      type: 'track',
      event: 'Email Opened',
      properties: { campaign: 'spring' },
      context: { page: { url: 'https://mail.example/view' } },
    })
    expect(event.anonymous_id).toMatch(/^px-/)
    expect(event.message_id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('refuses bad pixel requests with the error contract', async () => {
    const { app } = testApp(['ok'])
    const cases: Array<[string, number, string]> = [
      ['/v1/p.gif?e=x', 401, 'missing_write_key'],
      ['/v1/p.gif?k=nope', 401, 'unknown_write_key'],
      [`/v1/p.gif?k=${WRITE_KEY}&__proto__=x`, 400, 'invalid_event'],
      [`/v1/p.gif?k=${WRITE_KEY}&e=${'x'.repeat(300)}`, 400, 'invalid_event'],
    ]
    for (const [path, status, code] of cases) {
      const res = await app.request(path)
      expect(res.status, path).toBe(status)
      expect(((await res.json()) as ErrorJson).error.code).toBe(code)
    }
    const post = await app.request(`/v1/p.gif?k=${WRITE_KEY}`, { method: 'POST' })
    expect(post.status).toBe(405)
  })
})
