import { type Outcome, parseJsonBody } from '@sightline/contracts'
import { readBody } from '../body.ts'
import type { DecodedRequest } from '../pipeline/surface.ts'
import { isPlainObject } from './mapped.ts'

/**
 * PostHog clients send the same JSON in several wrappings, chosen by library and version:
 *   - plain JSON (posthog-node with compression off, curl);
 *   - gzip, flagged by `Content-Encoding: gzip` (posthog-node) or only by
 *     `?compression=gzip-js` with a text/plain body (posthog-js);
 *   - base64: a urlencoded form `data=<base64>` (older posthog-js, `compression=base64`),
 *     or the base64 text as the whole body.
 * Gzip is recognised by its magic bytes, whatever the flags say (JSON never starts with
 * 0x1f), so a proxy that inflated the body but kept the query string does not break us.
 * lz-string (`compression=lz64`, very old posthog-js) is not supported: 415.
 */
export async function decodePostHog(request: Request): Promise<Outcome<DecodedRequest>> {
  const url = new URL(request.url)
  if ((url.searchParams.get('compression') ?? '').toLowerCase() === 'lz64') {
    return {
      ok: false,
      code: 'unsupported_media_type',
      message: 'lz64 compression is not supported; use gzip-js or base64',
    }
  }
  const raw = await readBody(request)
  if (!raw.ok) return raw
  const json = await toJson(raw.value, request.headers.get('content-type') ?? '')
  if (!json.ok) return json
  const writeKey = keyIn(json.value) ?? (url.searchParams.get('api_key') || url.searchParams.get('token'))
  return { ok: true, value: { body: json.value, ...(writeKey ? { writeKey } : {}) } }
}

const GZIP_MAGIC = [0x1f, 0x8b]

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]
}

/** Inflates through the same capped reader as every other body (bomb-safe). */
function gunzip(bytes: Uint8Array): Promise<Outcome<Uint8Array>> {
  const request = new Request('http://inflate.local/', {
    method: 'POST',
    // A copy typed as ArrayBuffer-backed, which every lib.d.ts flavour accepts as a body.
    body: bytes.slice(),
    headers: { 'content-encoding': 'gzip' },
  })
  return readBody(request)
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

async function toJson(input: Uint8Array, contentType: string): Promise<Outcome<unknown>> {
  let bytes = input
  if (isGzip(bytes)) {
    const inflated = await gunzip(bytes)
    if (!inflated.ok) return inflated
    bytes = inflated.value
  }
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)
  // '{' or '[': JSON. '"': a JSON string, which PostHog clients use to carry base64.
  if (first === 0x7b || first === 0x5b) return parseJsonBody(bytes)
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return { ok: false, code: 'invalid_json', message: 'body is not valid UTF-8' }
  }
  if (first === 0x22) {
    const parsed = parseJsonBody(bytes)
    if (!parsed.ok) return parsed
    if (typeof parsed.value !== 'string') return parsed
    text = parsed.value
  } else if (contentType.includes('application/x-www-form-urlencoded') || /^\s*data=|&data=/.test(text)) {
    const data = new URLSearchParams(text).get('data')
    if (data === null) {
      return { ok: false, code: 'invalid_request', message: 'form body without a "data" field' }
    }
    text = data
  }
  const decoded = fromBase64(text)
  if (!decoded) {
    return { ok: false, code: 'invalid_json', message: 'body is neither JSON, gzip nor base64 JSON' }
  }
  // One level of nesting only: base64 of gzip is seen in the wild, deeper wrapping is not.
  if (isGzip(decoded)) {
    const inflated = await gunzip(decoded)
    if (!inflated.ok) return inflated
    return parseJsonBody(inflated.value)
  }
  return parseJsonBody(decoded)
}

/** Standard or URL-safe base64; a '+' turned into a space by form decoding is restored. */
function fromBase64(text: string): Uint8Array | undefined {
  const cleaned = text
    .trim()
    .replace(/ /g, '+')
    .replace(/[\r\n\t]/g, '')
    .replace(/-/g, '+')
    .replace(/_/g, '/')
  if (cleaned === '' || !/^[A-Za-z0-9+/]+=*$/.test(cleaned)) return undefined
  const padded = cleaned.padEnd(cleaned.length + ((4 - (cleaned.length % 4)) % 4), '=')
  try {
    return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0))
  } catch {
    return undefined
  }
}

function tokenOf(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined
  const key = value.api_key ?? value.token
  if (typeof key === 'string' && key !== '') return key
  // posthog-js puts the project token in every event's properties.
  if (
    isPlainObject(value.properties) &&
    typeof value.properties.token === 'string' &&
    value.properties.token !== ''
  ) {
    return value.properties.token
  }
  return undefined
}

/** `api_key` (or `token`) on the body, else on its first event. */
function keyIn(body: unknown): string | undefined {
  const direct = tokenOf(body)
  if (direct) return direct
  const list = Array.isArray(body) ? body : isPlainObject(body) && Array.isArray(body.batch) ? body.batch : []
  return tokenOf(list[0])
}
