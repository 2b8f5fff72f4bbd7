import { env } from 'cloudflare:workers'
import { type AppDeps, createApp } from '../../src/app.ts'
import { SiteSchema } from '../../src/config.ts'
import { staticSites } from '../../src/sites.ts'
import { type BridgeMode, type RecordedAttempt, TEST_SIGNING, TEST_SITE } from './constants.ts'

export const WRITE_KEY = TEST_SITE.write_keys[0]

export function bridgeUrl(namespace: string, mode: BridgeMode): string {
  return `http://127.0.0.1:${env.BRIDGE_PORT}/b/${namespace}/${mode}`
}

/** What the Node-side test bridge recorded for one namespace. */
export async function bridgeLog(namespace: string): Promise<RecordedAttempt[]> {
  const res = await fetch(`http://127.0.0.1:${env.BRIDGE_PORT}/__log/${namespace}`)
  return (await res.json()) as RecordedAttempt[]
}

export interface TestApp {
  app: ReturnType<typeof createApp>
  namespace: string
}

/**
 * An edge app wired to real bridges (the Node test server) in the given modes, in that
 * priority order. Each call gets its own namespace so recorded batches never mix.
 */
export function testApp(modes: BridgeMode[] = ['ok'], overrides: Partial<AppDeps> = {}): TestApp {
  const namespace = crypto.randomUUID()
  const app = createApp({
    sites: staticSites([
      SiteSchema.parse({ site_id: TEST_SITE.site_id, write_keys: [...TEST_SITE.write_keys] }),
    ]),
    bridges: modes.map((mode, i) => ({ url: bridgeUrl(namespace, mode), region: `r${i}`, priority: i + 1 })),
    signing: TEST_SIGNING,
    now: () => Date.now(),
    fetch: (input, init) => fetch(input, init),
    attemptTimeoutMs: 500,
    ...overrides,
  })
  return { app, namespace }
}

let counter = 0

export function makeEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1
  return {
    type: 'track',
    event: 'Signed Up',
    message_id: `msg-${crypto.randomUUID()}-${counter}`,
    anonymous_id: 'anon-1',
    timestamp: new Date().toISOString(),
    properties: { plan: 'pro' },
    ...overrides,
  }
}

export async function post(
  app: TestApp['app'],
  path: string,
  body: BodyInit | object,
  headers: Record<string, string> = {},
): Promise<Response> {
  const isRaw =
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer ||
    body instanceof ReadableStream
  return app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${WRITE_KEY}`, ...headers },
    body: isRaw ? (body as BodyInit) : JSON.stringify(body),
  })
}

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

export interface ErrorJson {
  error: { code: string; message: string; docs: string; request_id: string }
  rejected?: Array<{ index: number; code: string; message: string }>
}
