import { HttpError } from '@sightline/http'
import type { MiddlewareHandler } from 'hono'
import type { ReadKeyResolver } from '../ports.ts'

const BEARER = /^Bearer\s+(\S+)\s*$/i

/**
 * Every /v1/sites/:site/* request must carry a read key scoped to :site. The site check
 * happens here, before any planning, so no route can forget it and a key can never reach
 * another site's rows — whatever the :site string contains, it is only compared, never
 * used until it has matched one of the key's sites exactly.
 */
export function requireReadKey(keys: ReadKeyResolver): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization')
    const key = header === undefined ? undefined : BEARER.exec(header)?.[1]
    if (key === undefined) {
      throw new HttpError('missing_read_key', 'Send the read key as `Authorization: Bearer <read_key>`.')
    }
    const grant = await keys.resolve(key)
    if (grant === undefined) throw new HttpError('unknown_read_key', 'The read key is not recognised.')
    const site = c.req.param('site')
    if (site === undefined || !grant.siteIds.includes(site)) {
      throw new HttpError('forbidden_site', 'The read key is not allowed to read this site.')
    }
    await next()
  }
}
