import { toHex } from '@sightline/contracts'

const encoder = new TextEncoder()

/**
 * Limiter objects are named by a keyed hash of what they count (`ip:<site>:<address>`,
 * `key:<write key>`), never by the text itself: Durable Object names end up in Cloudflare's
 * tooling and, in a local workerd, in state on disk, and neither may hold a visitor's IP or
 * a client-chosen string. Keyed (HMAC), because a plain hash of an IPv4 address is reversed
 * by trying all 2³² of them.
 */
export function limiterNamer(secret: string): (key: string) => Promise<string> {
  const cryptoKey = crypto.subtle.importKey(
    'raw',
    encoder.encode(`sightline-rate-limit-names:${secret}`),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return async (key) => toHex(await crypto.subtle.sign('HMAC', await cryptoKey, encoder.encode(key)))
}
