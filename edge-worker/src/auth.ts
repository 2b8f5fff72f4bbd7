/**
 * The write key, from whichever place a client library puts it: Segment libraries send
 * HTTP Basic with the key as the user and an empty password; our SDKs send Bearer; simple
 * scripts find a plain header easiest.
 */
export function extractWriteKey(headers: Headers): string | undefined {
  const header = headers.get('x-write-key')?.trim()
  if (header) return header
  const auth = headers.get('authorization')?.trim()
  if (!auth) return undefined
  const space = auth.indexOf(' ')
  if (space < 0) return undefined
  const scheme = auth.slice(0, space).toLowerCase()
  const credentials = auth.slice(space + 1).trim()
  if (scheme === 'bearer') return credentials || undefined
  if (scheme !== 'basic') return undefined
  let decoded: string
  try {
    decoded = atob(credentials)
  } catch {
    return undefined
  }
  const colon = decoded.indexOf(':')
  const user = colon < 0 ? decoded : decoded.slice(0, colon)
  return user || undefined
}

/** The longest write key a site may have (SiteSchema's limit). */
const MAX_WRITE_KEY_CHARS = 200
const MAX_WRITE_KEY_BYTES = 256
const encoder = new TextEncoder()

/**
 * Whether a presented key could be any site's key at all. Anything else is refused as
 * unknown without a lookup: an overlong key would otherwise reach the directory (Workers KV
 * refuses keys over 512 bytes with an error, which read as our outage: a retryable 503),
 * and control characters have no business in logs or storage names.
 */
export function isPlausibleWriteKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_WRITE_KEY_CHARS) return false
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return false
  return encoder.encode(key).byteLength <= MAX_WRITE_KEY_BYTES
}
