import { HttpError } from '@sightline/http'
import type { Context, MiddlewareHandler } from 'hono'
import type { ReadKeyResolver } from '../ports.ts'
import type { AuthThrottle } from './auth-throttle.ts'

const BEARER = /^Bearer\s+(\S+)\s*$/i

/** Who is asking, for the failed-key budget: the socket's peer address. */
export type ClientAddress = (c: Context) => string

/** The TCP peer as @hono/node-server exposes it; requests made in-process share one bucket. */
export const socketAddress: ClientAddress = (c) => {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  return env?.incoming?.socket?.remoteAddress ?? 'in-process'
}

/**
 * Every /v1/sites/:site/* request must carry a read key scoped to :site. The site check
 * happens here, before any planning, so no route can forget it and a key can never reach
 * another site's rows — whatever the :site string contains, it is only compared, never
 * used until it has matched one of the key's sites exactly.
 *
 * Missing and unknown keys spend the client address's failure budget; once it is empty
 * the address gets 429 + Retry-After until it refills, whatever key it sends.
 */
export function requireReadKey(
  keys: ReadKeyResolver,
  throttle: AuthThrottle,
  clientAddress: ClientAddress,
): MiddlewareHandler {
  return async (c, next) => {
    const grant = await authenticate(c, keys, throttle, clientAddress)
    const site = c.req.param('site')
    if (site === undefined || !grant.siteIds.includes(site)) {
      throw new HttpError('forbidden_site', 'The read key is not allowed to read this site.')
    }
    await next()
  }
}

/**
 * The read key of the request, resolved, or the 401/429 that says why not. Shared by the
 * per-site middleware and `GET /v1/sites`, so both spend the same failure budget.
 */
export async function authenticate(
  c: Context,
  keys: ReadKeyResolver,
  throttle: AuthThrottle,
  clientAddress: ClientAddress,
): Promise<{ siteIds: string[] }> {
  const address = clientAddress(c)
  const waitS = throttle.waitS(address)
  if (waitS > 0) {
    throw new HttpError('rate_limited', 'Too many failed read-key attempts from this address.', {
      retryAfterS: waitS,
    })
  }
  const header = c.req.header('authorization')
  const key = header === undefined ? undefined : BEARER.exec(header)?.[1]
  if (key === undefined) {
    throttle.fail(address)
    throw new HttpError('missing_read_key', 'Send the read key as `Authorization: Bearer <read_key>`.')
  }
  const grant = await keys.resolve(key)
  if (grant === undefined) {
    throttle.fail(address)
    throw new HttpError('unknown_read_key', 'The read key is not recognised.')
  }
  return grant
}
