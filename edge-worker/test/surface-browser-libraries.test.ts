import { describe, expect, it } from 'vitest'
import { documentedRoutes, openApiPath } from '../src/openapi.ts'
import { bridgeLog, type ErrorJson, post, testApp, WRITE_KEY } from './support/harness.ts'

// What posthog-js, analytics.js (@segment/analytics-next) and RudderStack's JS SDK fetch and
// send, as they really send it (docs/compat.md). The same libraries run unmodified in Chromium
// in launcher/test/compat-browser-e2e.test.ts; these pin each mapping rule on its own.
const noAuth = { authorization: '' }
const basic = { authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` }

describe('configuration endpoints', () => {
  it('answers posthog-js remote config, config.js and flags without secrets', async () => {
    const { app } = testApp()
    const config = await app.request(`/array/${WRITE_KEY}/config`)
    expect(config.status).toBe(200)
    expect(config.headers.get('cache-control')).toMatch(/max-age=\d+/)
    expect(await config.json()).toMatchObject({
      token: WRITE_KEY,
      sessionRecording: false,
      hasFeatureFlags: false,
    })
    const script = await app.request(`/array/${WRITE_KEY}/config.js`)
    expect(script.headers.get('content-type')).toContain('javascript')
    expect(await script.text()).toContain('_POSTHOG_REMOTE_CONFIG')
    const flags = await post(app, '/flags/?v=2', { token: WRITE_KEY, distinct_id: 'd-1' }, noAuth)
    expect(await flags.json()).toMatchObject({
      flags: {},
      featureFlags: {},
      errorsWhileComputingFlags: false,
    })
    const unknown = await app.request('/array/wk_nope/config')
    expect(unknown.status).toBe(401)
    expect(((await unknown.json()) as ErrorJson).error.code).toBe('unknown_write_key')
  })

  it("answers analytics.js settings with Segment.io pointing back at this edge's /v1", async () => {
    const { app } = testApp()
    const res = await app.request(`https://edge.example/v1/projects/${WRITE_KEY}/settings`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { integrations: Record<string, unknown>; metrics: unknown }
    expect(body.integrations['Segment.io']).toMatchObject({
      apiKey: WRITE_KEY,
      apiHost: 'edge.example/v1',
      protocol: 'https',
    })
    expect(body.metrics).toEqual({ sampleRate: 0 })
  })

  it("answers RudderStack's source config for ?writeKey= and Basic auth", async () => {
    const { app } = testApp()
    for (const init of [
      [`/sourceConfig/?p=npm&v=3.34.1&writeKey=${WRITE_KEY}`, {}],
      ['/sourceConfig', { headers: basic }],
    ] as const) {
      const res = await app.request(init[0], init[1])
      expect(res.status).toBe(200)
      const body = (await res.json()) as { source: Record<string, unknown> }
      expect(body.source).toMatchObject({ id: 'site_test', enabled: true, destinations: [] })
      expect(JSON.stringify(body)).not.toContain('read')
    }
  })

  it('admits RudderStack request headers in the CORS preflight', async () => {
    const { app } = testApp()
    const res = await app.request('/v1/track', {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-headers': 'anonymousid,sentat' },
    })
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase()
    for (const h of [
      'anonymousid',
      'sentat',
      'rsa-retry-attempt',
      'rsa-since-last-attempt',
      'rsa-since-first-attempt',
    ])
      expect(allowed).toContain(h)
  })
})

describe('routes the browser libraries post to', () => {
  it('serves analytics.js short paths with the type the letter names', async () => {
    const { app, namespace } = testApp()
    const letters = { t: 'track', p: 'page', i: 'identify', g: 'group', a: 'alias', s: 'screen' }
    for (const [letter, type] of Object.entries(letters)) {
      const body = {
        type,
        event: 'E',
        userId: 'u',
        groupId: 'g',
        previousId: 'p',
        messageId: `short-${letter}`,
        writeKey: WRITE_KEY,
      }
      const res = await post(app, `/v1/${letter}`, JSON.stringify(body), {
        ...noAuth,
        'content-type': 'text/plain',
      })
      expect(res.status, letter).toBe(200)
    }
    expect((await bridgeLog(namespace)).map((a) => a.batch?.events[0]?.type)).toEqual(Object.values(letters))
  })

  it('reads an analytics.js batch on /v1/b as Segment and a native beacon as native', async () => {
    const { app, namespace } = testApp()
    const segment = {
      batch: [{ type: 'track', event: 'Batched', messageId: 'b-1', anonymousId: 'a-1' }],
      sentAt: new Date().toISOString(),
      writeKey: WRITE_KEY,
    }
    const res = await post(app, '/v1/b', JSON.stringify(segment), { ...noAuth, 'content-type': 'text/plain' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 })
    const native = {
      write_key: WRITE_KEY,
      batch: [{ type: 'track', event: 'Left', message_id: 'n-1', anonymous_id: 'a-1' }],
    }
    expect((await post(app, '/v1/b', JSON.stringify(native), noAuth)).status).toBe(204)
    const paths = (await bridgeLog(namespace)).map((a) => a.batch?.ingest_path)
    expect(paths).toEqual(['segment', 'beacon'])
  })

  it("takes RudderStack's beacon batch with the key in the query; empty userId is absent", async () => {
    const { app, namespace } = testApp()
    const body = {
      batch: [
        { type: 'page', messageId: 'rs-1', anonymousId: 'a-rs', userId: '', properties: { path: '/x' } },
      ],
      sentAt: new Date().toISOString(),
    }
    const res = await post(app, `/beacon/v1/batch?writeKey=${WRITE_KEY}`, JSON.stringify(body), {
      ...noAuth,
      'content-type': 'text/plain',
    })
    expect(res.status).toBe(200)
    const [event] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(event).toMatchObject({ type: 'page', anonymous_id: 'a-rs', user_id: '' })
  })

  it('accepts PostHog session recordings on /s/ and counts them as refused', async () => {
    const { app, namespace } = testApp()
    const snapshot = [
      { event: '$snapshot', properties: { token: WRITE_KEY, distinct_id: 'd', $snapshot_data: [] } },
    ]
    const res = await post(app, '/s/?compression=base64', btoa(JSON.stringify(snapshot)), noAuth)
    expect(res.status).toBe(200)
    await new Promise((r) => setTimeout(r, 300))
    const [report] = await bridgeLog(namespace)
    expect(report?.batch?.events).toEqual([])
    expect(report?.batch?.rejected?.[0]).toMatchObject({ code: 'unsupported_event' })
  })
})

describe('field mapping as each library sends it', () => {
  it("keeps posthog-js's top-level $set / $set_once as traits and maps the $set event to identify", async () => {
    const { app, namespace } = testApp()
    const base = { properties: { token: WRITE_KEY, distinct_id: 'user-1', $device_id: 'dev-1' } }
    const body = [
      {
        ...base,
        event: '$identify',
        uuid: 'ph-1',
        properties: { ...base.properties, $anon_distinct_id: 'dev-1' },
        $set: { email: 'a@b.example' },
        $set_once: { first: 'x' },
      },
      { ...base, event: '$set', uuid: 'ph-2', properties: { ...base.properties, $set: { plan: 'pro' } } },
    ]
    expect((await post(app, '/e/', body, noAuth)).status).toBe(200)
    const [identify, set] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(identify).toMatchObject({
      type: 'identify',
      user_id: 'user-1',
      anonymous_id: 'dev-1',
      traits: { email: 'a@b.example', first: 'x' },
    })
    expect(set).toMatchObject({ type: 'identify', user_id: 'user-1', traits: { plan: 'pro' } })
  })

  it('stores posthog-node groupIdentify as a group call with no synthetic person', async () => {
    const { app, namespace } = testApp()
    const body = {
      api_key: WRITE_KEY,
      batch: [
        {
          event: '$groupidentify',
          distinct_id: '$company_acme',
          uuid: 'g-1',
          properties: { $group_type: 'company', $group_key: 'acme', $group_set: { name: 'Acme' } },
        },
      ],
    }
    expect((await post(app, '/batch/', body, noAuth)).status).toBe(200)
    const [group] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(group).toMatchObject({
      type: 'group',
      event: '$group',
      group_id: 'acme',
      user_id: '',
      anonymous_id: '',
      traits: { name: 'Acme' },
      properties: { $group_type: 'company' },
    })
  })

  it('maps Segment page properties (path, url, referrer, title, search) to the page context', async () => {
    const { app, namespace } = testApp()
    const page = {
      type: 'page',
      name: 'Pricing',
      messageId: 'sp-1',
      anonymousId: 'a-1',
      properties: {
        path: '/pricing',
        url: 'https://s.example/pricing?utm_source=x',
        referrer: 'https://r.example/',
        title: 'Pricing',
        search: '?utm_source=x',
      },
    }
    expect((await post(app, '/v1/batch', { batch: [page] }, basic)).status).toBe(200)
    const [event] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(event?.context.page).toEqual({
      path: '/pricing',
      url: 'https://s.example/pricing?utm_source=x',
      referrer: 'https://r.example/',
      title: 'Pricing',
      search: '?utm_source=x',
    })
    expect(event?.properties).toMatchObject({ name: 'Pricing', path: '/pricing' })
  })

  it('reads RudderStack identify traits from context.traits', async () => {
    const { app, namespace } = testApp()
    const body = {
      type: 'identify',
      userId: 'u-rs',
      anonymousId: 'a-rs',
      messageId: 'rs-id',
      context: { traits: { email: 'rs@example.com' } },
    }
    expect((await post(app, '/v1/identify', body, basic)).status).toBe(200)
    const [event] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(event?.traits).toEqual({ email: 'rs@example.com' })
  })

  it("stores a track named 'pageview' as a page view", async () => {
    const { app, namespace } = testApp()
    const body = { batch: [{ type: 'track', event: 'pageview', message_id: 'pv-1', anonymous_id: 'a-1' }] }
    expect((await post(app, '/v1/batch', body)).status).toBe(200)
    const [event] = (await bridgeLog(namespace))[0]!.batch!.events
    expect(event).toMatchObject({ type: 'page', event: '$pageview' })
  })
})

describe('GET /v1/openapi.json', () => {
  it('lists exactly the routes the edge serves, each with a summary', async () => {
    const { app } = testApp()
    const res = await app.request('/v1/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as {
      openapi: string
      paths: Record<string, Record<string, { summary: string }>>
    }
    expect(doc.openapi).toBe('3.1.0')
    // What the app really registered: every GET/POST handler (the 405 guards are `ALL`).
    const served = app.routes
      .filter((r) => r.method === 'GET' || r.method === 'POST')
      .map((r) => `${r.method} ${openApiPath(r.path)}`)
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    )
    expect([...new Set(documented)].sort()).toEqual([...new Set(served)].sort())
    for (const [path, ops] of Object.entries(doc.paths))
      for (const op of Object.values(ops)) expect(op.summary, path).not.toBe('')
    expect(documentedRoutes().length).toBeGreaterThan(30)
  })
})
