// The hostile soak's catalogue: each attack sends one request a hostile client could send
// and says which answers are acceptable. Shared rule: never a 5xx (503/504 with
// Retry-After only where named), never slower than the deadline.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { signBody } from '@sightline/contracts'

export interface Target {
  edge: string
  bridge: string
  query: string
  site: string
  writeKey: string
  readKey: string
  signing: { keyId: string; key: string }
}

export interface Outcome {
  status: number
  /** False when the answer broke the rule for this attack. */
  ok: boolean
  note?: string
}

export interface Attack {
  name: string
  service: 'edge' | 'bridge' | 'query'
  run(t: Target, rng: () => number): Promise<Outcome>
}

const pick = <T>(rng: () => number, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!

/** A 4xx, or a 2xx when the request turned out harmless, is the only acceptable answer. */
const clientError = (status: number) => status >= 200 && status < 500
const fetchStatus = async (url: string, init: RequestInit = {}): Promise<number> => {
  const res = await fetch(url, init)
  await res.arrayBuffer()
  return res.status
}

const ABSURD_INSTANTS = [
  '1969-12-31T12:00:00Z',
  '1950-01-01',
  '2106-02-01T00:00:00Z',
  '9999-12-31',
  '0000-01-01',
  '2024-02-30',
  'yesterday',
  '',
  '2024-01-01T00:00:00+99:00',
  '-1',
  '1e309',
  `${'9'.repeat(40)}`,
  new Date(Date.now() - 86_400_000).toISOString(),
  new Date().toISOString(),
]
const ZONES = [
  'UTC',
  'utc',
  '+05:30',
  'Pacific/Kiritimati',
  'America/New_York',
  'Etc/GMT+12',
  'Mars/Olympus',
  '../../etc',
]
const INTERVALS = ['hour', 'day', 'week', 'month', 'minute', 'fortnight', '']

function randomQuery(rng: () => number): string {
  const params = new URLSearchParams()
  if (rng() < 0.8) params.set('from', pick(rng, ABSURD_INSTANTS))
  if (rng() < 0.8) params.set('to', pick(rng, ABSURD_INSTANTS))
  if (rng() < 0.7) params.set('interval', pick(rng, INTERVALS))
  if (rng() < 0.6) params.set('tz', pick(rng, ZONES))
  if (rng() < 0.3) params.set('include_bots', pick(rng, ['true', 'yes', '1', '']))
  if (rng() < 0.2) params.set('event', pick(rng, ["x' OR 1=1 --", 'pageview', 'a'.repeat(300)]))
  if (rng() < 0.1) params.set('bogus', '1')
  return params.toString()
}

export const ATTACKS: readonly Attack[] = [
  {
    name: 'query: absurd ranges, zones and intervals',
    service: 'query',
    async run(t, rng) {
      const route = pick(rng, ['stats', 'trends', 'rejected'])
      const status = await fetchStatus(`${t.query}/v1/sites/${t.site}/${route}?${randomQuery(rng)}`, {
        headers: { authorization: `Bearer ${t.readKey}` },
      })
      return { status, ok: clientError(status) }
    },
  },
  {
    name: 'query: wrong-key guessing',
    service: 'query',
    async run(t) {
      const status = await fetchStatus(`${t.query}/v1/sites/${t.site}/stats`, {
        headers: { authorization: `Bearer rk_${randomBytes(16).toString('hex')}` },
      })
      return { status, ok: status === 401 || status === 429 }
    },
  },
  {
    name: 'query: another site with a valid key',
    service: 'query',
    async run(t) {
      const status = await fetchStatus(`${t.query}/v1/sites/other-site/stats`, {
        headers: { authorization: `Bearer ${t.readKey}` },
      })
      return { status, ok: status === 403 || status === 429 }
    },
  },
  {
    name: 'edge: garbage bodies and encodings',
    service: 'edge',
    async run(t, rng) {
      const body = pick(rng, [
        randomBytes(Math.floor(rng() * 4096)),
        Buffer.from('{"batch":'),
        Buffer.from('[]'),
      ])
      const status = await fetchStatus(`${t.edge}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${t.writeKey}:`)}`,
          'content-type': pick(rng, ['application/json', 'text/plain', 'application/x-www-form-urlencoded']),
          ...(rng() < 0.3 ? { 'content-encoding': 'gzip' } : {}),
        },
        body,
      })
      return { status, ok: clientError(status) }
    },
  },
  {
    name: 'edge: gzip bomb',
    service: 'edge',
    async run(t) {
      const status = await fetchStatus(`${t.edge}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${t.writeKey}:`)}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        },
        body: gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)),
      })
      return { status, ok: status === 413 || status === 400 }
    },
  },
  {
    name: 'edge: overlong and malformed write keys',
    service: 'edge',
    async run(t, rng) {
      const key = pick(rng, ['x'.repeat(503), 'wk_'.padEnd(2000, 'z'), '', ' ', 'wk_\u0000'])
      const status = await fetchStatus(`${t.edge}/v1/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"batch":[{"type":"track","event":"x","message_id":"m","anonymous_id":"a"}]}',
      }).catch(() => 400)
      return { status, ok: status === 401 || status === 400 || status === 429 }
    },
  },
  {
    name: 'edge: spoofed client IP and fake SDK identity',
    service: 'edge',
    async run(t, rng) {
      const status = await fetchStatus(`${t.edge}/v1/batch`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${btoa(`${t.writeKey}:`)}`,
          'content-type': 'application/json',
          'cf-connecting-ip': `${Math.floor(rng() * 255)}.${Math.floor(rng() * 255)}.1.1`,
          'x-forwarded-for': '8.8.8.8',
          'user-agent': 'posthog-node/4.0 python-requests HeadlessChrome',
        },
        body: JSON.stringify({
          batch: [
            {
              type: 'track',
              event: 'soak_fake_sdk',
              message_id: `fake-${randomBytes(8).toString('hex')}`,
              anonymous_id: 'fake',
              context: { library: { name: 'analytics-node' }, ip: '8.8.8.8' },
            },
          ],
        }),
      })
      return { status, ok: clientError(status) }
    },
  },
  {
    name: 'edge: odd methods and header abuse',
    service: 'edge',
    async run(t, rng) {
      const method = pick(rng, ['HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
      const status = await fetchStatus(`${t.edge}/${pick(rng, ['v1/p.gif', 'v1/batch', 'e', 'nowhere'])}`, {
        method,
        headers: { 'cf-ray': '<script>alert(1)</script>', 'x-request-id': 'z'.repeat(4000) },
      })
      return { status, ok: clientError(status) }
    },
  },
  {
    name: 'bridge: unsigned chunked 64 MB body',
    service: 'bridge',
    async run(t) {
      let sent = 0
      const chunk = new Uint8Array(1024 * 1024).fill(0x61)
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 64) return controller.close()
          sent += 1
          controller.enqueue(chunk)
        },
      })
      const status = await fetchStatus(`${t.bridge}/v1/ingest`, {
        method: 'POST',
        body,
        // @ts-expect-error Node's fetch needs duplex for a streamed body.
        duplex: 'half',
      }).catch(() => 413)
      // The cap must cut the upload short, not read all 64 MB first.
      return { status, ok: (status === 413 || status === 401) && sent < 64, note: `${sent} MB sent` }
    },
  },
  {
    name: 'bridge: replayed signed batch',
    service: 'bridge',
    async run(t) {
      const body = JSON.stringify({
        v: 1,
        batch_id: `replay-${randomBytes(8).toString('hex')}`,
        site_id: t.site,
        received_at: new Date().toISOString(),
        events: [],
      })
      const signature = await signBody(body, t.signing.keyId, t.signing.key)
      const send = async () => {
        const res = await fetch(`${t.bridge}/v1/ingest`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json', 'x-sightline-signature': signature },
        })
        return { status: res.status, body: (await res.json().catch(() => ({}))) as { duplicate?: boolean } }
      }
      const first = await send()
      const replay = await send()
      // A replay is answered like an edge's retry of the same batch id (2xx, so failover
      // stays idempotent) but flagged a duplicate and never appended again (ADR 0010).
      const ok =
        first.status === 200 &&
        !first.body.duplicate &&
        replay.status === 200 &&
        replay.body.duplicate === true
      return {
        status: replay.status,
        ok,
        note: `first ${first.status}, replay duplicate=${replay.body.duplicate}`,
      }
    },
  },
  {
    name: 'slow headers (slowloris) on every service',
    service: 'query',
    async run(t, rng) {
      const url = new URL(pick(rng, [t.edge, t.bridge, t.query]))
      const closedAfterMs = await new Promise<number>((resolve) => {
        const started = Date.now()
        const socket = connect(Number(url.port), url.hostname, () =>
          socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'),
        )
        const drip = setInterval(() => socket.write('X-Drip: 1\r\n'), 1_000)
        const done = () => {
          clearInterval(drip)
          resolve(Date.now() - started)
        }
        socket.on('close', done)
        socket.on('error', () => {})
        // Give up on our side after 40 s: a server that holds the socket that long fails.
        setTimeout(() => socket.destroy(), 40_000).unref()
      })
      return { status: 0, ok: closedAfterMs < 35_000, note: `closed after ${closedAfterMs} ms` }
    },
  },
]
