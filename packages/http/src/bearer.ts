import { timingSafeEqual } from 'node:crypto'

// Its own entry point (`@sightline/http/bearer`): node:crypto is not in the edge's runtime,
// which imports the package's main entry.

/**
 * Whether an Authorization header carries exactly `Bearer <token>`, compared in constant time
 * so response timing does not reveal how much of a guess was right.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '')
  const wanted = Buffer.from(token)
  return given.byteLength === wanted.byteLength && timingSafeEqual(given, wanted)
}
