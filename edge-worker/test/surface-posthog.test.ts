import { describe, expect, it } from 'vitest'
import { bridgeLog, type ErrorJson, gzip, testApp, WRITE_KEY } from './support/harness.ts'

/** PostHog clients send no auth header: the key is in the body. */
function send(
  app: ReturnType<typeof testApp>['app'],
  path: string,
  body: BodyInit,
  headers: Record<string, string> = {},
) {
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
}

const encoder = new TextEncoder()
const toBase64 = (text: string) => btoa(String.fromCharCode(...encoder.encode(text)))

/** What posthog-node 5 sends to /batch/ (see @posthog/core sendBatch). */
function nodeBatch() {
  return {
    api_key: WRITE_KEY,
    batch: [
      {
        distinct_id: 'user-9',
        event: 'Plan Upgraded',
        properties: { plan: 'team', $lib: 'posthog-node', $lib_version: '5.70.0', $geoip_disable: true },
        timestamp: new Date().toISOString(),
        uuid: '0190a6b8-0000-7000-8000-000000000001',
      },
      {
        distinct_id: 'user-9',
        event: '$identify',
        properties: {
          $set: { email: 'u9@x.example' },
          $set_once: { first: 'yes' },
          $anon_distinct_id: 'anon-9',
        },
        timestamp: new Date().toISOString(),
        uuid: '0190a6b8-0000-7000-8000-000000000002',
      },
    ],
    sent_at: new Date().toISOString(),
  }
}

describe('PostHog capture API', () => {
  it('maps a posthog-node batch (gzip, api_key in body) and answers {status: 1}', async () => {
    const { app, namespace } = testApp(['ok'])
    const body = await gzip(encoder.encode(JSON.stringify(nodeBatch())))
    const res = await send(app, '/batch/', body, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: 1 })
    const [attempt] = await bridgeLog(namespace)
    expect(attempt?.batch?.ingest_path).toBe('posthog')
    const [track, identify] = attempt!.batch!.events
    expect(track).toMatchObject({
      type: 'track',
      event: 'Plan Upgraded',
      message_id: '0190a6b8-0000-7000-8000-000000000001',
      user_id: 'user-9',
      anonymous_id: '',
      ingest_path: 'posthog',
      properties: { plan: 'team', $geoip_disable: true },
      context: { library: { name: 'posthog-node', version: '5.70.0' } },
    })
    expect(track?.properties).not.toHaveProperty('$lib')
    expect(identify).toMatchObject({
      type: 'identify',
      event: '$identify',
      user_id: 'user-9',
      anonymous_id: 'anon-9',
      traits: { email: 'u9@x.example', first: 'yes' },
    })
    expect(identify?.properties).toEqual({})
  })

  it('maps a posthog-js $pageview (gzip-js flag, token in properties, anonymous visitor)', async () => {
    const { app, namespace } = testApp(['ok'])
    const event = {
      event: '$pageview',
      uuid: 'ph-js-page-1',
      timestamp: new Date().toISOString(),
      properties: {
        token: WRITE_KEY,
        distinct_id: 'dev-1',
        $device_id: 'dev-1',
        $user_state: 'anonymous',
        $current_url: 'https://shop.example/pricing?utm_source=ads',
        $pathname: '/pricing',
        $referrer: '$direct',
        title: 'Pricing',
        $screen_width: 1280,
        $screen_height: 800,
        $browser_language: 'de-DE',
        $timezone: 'Europe/Berlin',
        $lib: 'web',
        utm_source: 'ads',
        $ip: '203.0.113.9',
        $browser: 'Chrome',
      },
    }
    const body = await gzip(encoder.encode(JSON.stringify([event])))
    const res = await send(app, '/e/?compression=gzip-js&ver=1.200.0', body, { 'content-type': 'text/plain' })
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    const [page] = attempt!.batch!.events
    expect(page).toMatchObject({
      type: 'page',
      event: '$pageview',
      anonymous_id: 'dev-1',
      user_id: '',
      context: {
        page: { url: 'https://shop.example/pricing?utm_source=ads', path: '/pricing', title: 'Pricing' },
        campaign: { source: 'ads' },
        screen: { width: 1280, height: 800 },
        locale: 'de-DE',
        timezone: 'Europe/Berlin',
      },
      properties: { $browser: 'Chrome', utm_source: 'ads', title: 'Pricing' },
    })
    expect(page?.context.page?.referrer).toBeUndefined()
    for (const gone of ['token', 'distinct_id', '$device_id', '$user_state', '$current_url', '$ip'])
      expect(page?.properties, gone).not.toHaveProperty(gone)
  })

  it('accepts base64 forms: data=<base64> urlencoded and a bare base64 body', async () => {
    const { app, namespace } = testApp(['ok'])
    const event = (id: string) => ({ event: 'Clicked', distinct_id: 'u-1', uuid: id, api_key: WRITE_KEY })
    const form = `data=${encodeURIComponent(toBase64(JSON.stringify(event('b64-form'))))}&compression=base64`
    const a = await send(app, '/capture/', form, { 'content-type': 'application/x-www-form-urlencoded' })
    const b = await send(app, '/i/v0/e', toBase64(JSON.stringify(event('b64-bare'))), {
      'content-type': 'text/plain',
    })
    const c = await send(app, '/e', JSON.stringify(toBase64(JSON.stringify(event('b64-string')))))
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200])
    const ids = (await bridgeLog(namespace)).map((x) => x.batch?.events[0]?.message_id)
    expect(ids).toEqual(['b64-form', 'b64-bare', 'b64-string'])
  })

  it('maps alias and group identify, and takes the key from ?token=', async () => {
    const { app, namespace } = testApp(['ok'])
    const batch = [
      { event: '$create_alias', distinct_id: 'user-1', uuid: 'al-1', properties: { alias: 'anon-1' } },
      {
        event: '$groupidentify',
        distinct_id: '$company_acme',
        uuid: 'gr-1',
        properties: { $group_type: 'company', $group_key: 'acme', $group_set: { size: 50 } },
      },
    ]
    const res = await send(app, `/batch?token=${WRITE_KEY}`, JSON.stringify({ batch }))
    expect(res.status).toBe(200)
    const [attempt] = await bridgeLog(namespace)
    const [alias, group] = attempt!.batch!.events
    expect(alias).toMatchObject({ type: 'alias', user_id: 'user-1', previous_id: 'anon-1' })
    expect(group).toMatchObject({
      type: 'group',
      group_id: 'acme',
      traits: { size: 50 },
      properties: { $group_type: 'company' },
    })
  })

  it('answers bad PostHog input with the error contract', async () => {
    const { app } = testApp(['ok'])
    const cases: Array<[string, BodyInit, number, string, Record<string, string>?]> = [
      ['/e/', JSON.stringify({ event: 'x', distinct_id: 'u' }), 401, 'missing_write_key'],
      ['/e/', JSON.stringify({ event: 'x', distinct_id: 'u', api_key: 'nope' }), 401, 'unknown_write_key'],
      ['/batch/', JSON.stringify({ api_key: WRITE_KEY, batch: [] }), 400, 'empty_batch'],
      ['/e/', JSON.stringify({ api_key: WRITE_KEY, event: 'x' }), 400, 'invalid_event'],
      ['/e/', '%%% not base64 %%%', 400, 'invalid_json'],
      ['/e/', 'data=bm90IGpzb24=', 400, 'invalid_json'],
      ['/e/', 'x=1&y=2', 400, 'invalid_request', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['/e/?compression=lz64', 'abc', 415, 'unsupported_media_type'],
      ['/e/', new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 400, 'invalid_request'],
      [
        '/e/',
        JSON.stringify({ api_key: WRITE_KEY, event: 'x', distinct_id: 'u', properties: 'no' }),
        400,
        'invalid_event',
      ],
    ]
    for (const [path, body, status, code, headers] of cases) {
      const res = await send(app, path, body, headers)
      expect(res.status, `${path} ${String(body)}`).toBe(status)
      expect(((await res.json()) as ErrorJson).error.code, `${path} ${String(body)}`).toBe(code)
    }
  })

  it('caps an inflated gzip-js body like any other', async () => {
    const { app } = testApp(['ok'])
    const bomb = await gzip(new Uint8Array(5 * 1024 * 1024).fill(0x20))
    const res = await send(app, '/e/?compression=gzip-js', bomb, { 'content-type': 'text/plain' })
    expect(res.status).toBe(413)
    expect(((await res.json()) as ErrorJson).error.code).toBe('payload_too_large')
  })
})
