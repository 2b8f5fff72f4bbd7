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
