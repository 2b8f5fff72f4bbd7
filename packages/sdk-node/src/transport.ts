// One POST of one batch to the edge's native /v1/batch. fetch, CompressionStream and btoa
// only: the same code runs on Node ≥ 18, Cloudflare Workers, Deno, Bun and Vercel's edge.
import type { WireEvent } from './messages.ts'
import { isRetryable, retryAfterMs } from './retry.ts'

export interface Rejection {
  index: number
  code: string
  message: string
}

export type PostOutcome =
  | { ok: true; rejected: Rejection[] }
  | { retry: true; status: number; retryAfterMs?: number | undefined; error?: string }
  | { drop: true; status: number; code: string; message: string }

export interface TransportOptions {
  url: string
  writeKey: string
  gzip: boolean
  timeoutMs: number
  fetch: typeof fetch
  library: { name: string; version: string }
}

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

export async function postBatch(
  batch: WireEvent[],
  o: TransportOptions,
  stop?: AbortSignal,
): Promise<PostOutcome> {
  // sent_at is stamped per attempt: the edge corrects clock skew with received_at − (sent_at − timestamp).
  const json = JSON.stringify({ batch, sent_at: new Date().toISOString(), context: { library: o.library } })
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Basic ${btoa(`${o.writeKey}:`)}`,
  }
  let body: string | Uint8Array = json
  if (o.gzip) {
    body = await gzip(json)
    headers['content-encoding'] = 'gzip'
  }
  let res: Response
  try {
    res = await o.fetch(o.url, {
      method: 'POST',
      headers,
      body: body as BodyInit,
      signal: stop
        ? AbortSignal.any([stop, AbortSignal.timeout(o.timeoutMs)])
        : AbortSignal.timeout(o.timeoutMs),
    })
  } catch (err) {
    return { retry: true, status: 0, error: String(err) }
  }
  const text = await res.text().catch(() => '')
  const parsed = safeJson(text)
  if (res.ok) return { ok: true, rejected: Array.isArray(parsed?.rejected) ? parsed.rejected : [] }
  if (isRetryable(res.status)) {
    return { retry: true, status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) }
  }
  const error = parsed?.error as { code?: string; message?: string } | undefined
  return {
    drop: true,
    status: res.status,
    code: error?.code ?? `http_${res.status}`,
    message: error?.message ?? text.slice(0, 200),
  }
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text)
    return v && typeof v === 'object' ? v : undefined
  } catch {
    return undefined
  }
}
