import type { EnrichedEvent } from './event.ts'
import { toHex } from './hex.ts'
import { LIMITS } from './limits.ts'

/** An event the edge refused, kept so the site's owner can see what was dropped and why. */
export interface EdgeRejection {
  index: number
  code: string
  message: string
  message_id?: string
  /** The refused event as sent (truncated), for the rejected table. */
  raw?: string
}

/** Edge → bridge body. `batch_id` makes a retried or failed-over batch recognisable. */
export interface EdgeBatch {
  v: 1
  batch_id: string
  site_id: string
  received_at: string
  /** Where the batch entered (native, beacon, segment, …); each event also carries it. */
  ingest_path?: string
  events: EnrichedEvent[]
  rejected?: EdgeRejection[]
}

export const SIGNATURE_HEADER = 'x-sightline-signature'

/** Keys by id, so a new key can be rolled out at the bridges before the edge uses it. */
export type SigningKeys = Record<string, string>

const encoder = new TextEncoder()
const keyCache = new Map<string, Promise<CryptoKey>>()

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ])
    keyCache.set(secret, key)
  }
  return key
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

function signedPayload(timestampMs: number, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(`${timestampMs}.`)
  const bytes = typeof body === 'string' ? encoder.encode(body) : body
  const out = new Uint8Array(prefix.byteLength + bytes.byteLength)
  out.set(prefix, 0)
  out.set(bytes, prefix.byteLength)
  return out
}

/** `t=<unix ms>,kid=<key id>,v1=<hex HMAC-SHA256 of "<t>.<body>">` */
export async function signBody(
  body: string | Uint8Array,
  keyId: string,
  secret: string,
  nowMs: number = Date.now(),
): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), signedPayload(nowMs, body))
  return `t=${nowMs},kid=${keyId},v1=${toHex(mac)}`
}

export type SignatureCheck =
  | { ok: true; keyId: string }
  | { ok: false; code: 'invalid_signature' | 'stale_signature'; message: string }

/**
 * Checks a MAC over `"<t>." + body`. The default is WebCrypto (runs everywhere); Node
 * callers on the hot path pass a node:crypto one that hashes the prefix and the body
 * without concatenating them (the bridge receiver does).
 */
export type MacVerifier = (
  secret: string,
  prefix: Uint8Array,
  body: Uint8Array,
  mac: Uint8Array,
) => Promise<boolean> | boolean

const webCryptoVerifier: MacVerifier = async (secret, prefix, body, mac) => {
  const payload = new Uint8Array(prefix.byteLength + body.byteLength)
  payload.set(prefix, 0)
  payload.set(body, prefix.byteLength)
  return crypto.subtle.verify('HMAC', await hmacKey(secret), mac as Uint8Array<ArrayBuffer>, payload)
}

/** Key rotation by kid, replay window, constant-time MAC comparison. */
export async function verifyBody(
  header: string | null | undefined,
  body: string | Uint8Array,
  keys: SigningKeys,
  nowMs: number = Date.now(),
  windowMs: number = LIMITS.signatureWindowMs,
  verifier: MacVerifier = webCryptoVerifier,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, code: 'invalid_signature', message: 'missing X-Sightline-Signature' }
  const parts = new Map<string, string>()
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=')
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim())
  }
  const t = Number(parts.get('t'))
  const kid = parts.get('kid') ?? ''
  const mac = fromHex(parts.get('v1') ?? '')
  if (!Number.isSafeInteger(t) || !mac || mac.byteLength !== 32) {
    return { ok: false, code: 'invalid_signature', message: 'malformed X-Sightline-Signature' }
  }
  const secret = Object.hasOwn(keys, kid) ? keys[kid] : undefined
  if (!secret) return { ok: false, code: 'invalid_signature', message: `unknown signing key id "${kid}"` }
  if (Math.abs(nowMs - t) > windowMs) {
    return { ok: false, code: 'stale_signature', message: 'signature timestamp is outside the replay window' }
  }
  const bytes = typeof body === 'string' ? encoder.encode(body) : body
  const valid = await verifier(secret, encoder.encode(`${t}.`), bytes, mac)
  return valid
    ? { ok: true, keyId: kid }
    : { ok: false, code: 'invalid_signature', message: 'signature does not match' }
}
