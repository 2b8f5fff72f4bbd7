import type { Outcome } from '@sightline/contracts'
import type { DecodedRequest, Surface } from '../pipeline/surface.ts'
import { compact, type Json, readMapped } from './mapped.ts'

/**
 * GET /v1/p.gif: the no-JS pixel, for pages and emails that can only embed an image.
 *
 *   k   write key (required)          e   event name: present → track, absent → page
 *   u   page URL (default: Referer)   r   page referrer          ti  page title
 *   a   anonymous id                  uid user id                m   message id
 *   any other parameter → a string property (`_`, a cache buster, is ignored)
 *
 * Without `m` the id is random: an image request is not retried by browsers, and a reload
 * is a real second view, so an id derived from the parameters would merge genuine views.
 * The cost: a pixel hit that is somehow repeated is not deduplicated. Without `a` or `uid`
 * the visitor is anonymous per hit (`px-<uuid>`), since a no-JS page has nowhere to keep one.
 */
const RESERVED = new Set(['k', 'e', 'u', 'r', 'ti', 'a', 'uid', 'm', '_'])

/** The smallest transparent GIF (1×1, 43 bytes). */
const GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (ch) =>
  ch.charCodeAt(0),
)

async function decodePixel(request: Request): Promise<Outcome<DecodedRequest>> {
  const params = new URL(request.url).searchParams
  const get = (name: string) => params.get(name) || undefined
  // Object.fromEntries defines own properties, so a "__proto__" parameter cannot reach a
  // prototype; validation then refuses it like any other forbidden key.
  const properties = Object.fromEntries([...params].filter(([key]) => !RESERVED.has(key)))
  const name = get('e')
  const page = compact({
    url: get('u') ?? (request.headers.get('referer') || undefined),
    referrer: get('r'),
    title: get('ti'),
  })
  const event: Json = compact({
    type: name === undefined ? 'page' : 'track',
    event: name,
    message_id: get('m') ?? crypto.randomUUID(),
    anonymous_id: get('a') ?? (get('uid') ? undefined : `px-${crypto.randomUUID()}`),
    user_id: get('uid'),
    properties,
    context: Object.keys(page).length > 0 ? { page } : undefined,
  })
  const writeKey = get('k')
  return { ok: true, value: { body: event, ...(writeKey ? { writeKey } : {}) } }
}

export const pixel: Surface = {
  ingestPath: 'pixel',
  decode: decodePixel,
  // The event is built from the query string already; it only needs the shared checks.
  read: (body, info) => readMapped({ events: [body] }, (raw) => raw, info),
  respond: (c) =>
    c.body(GIF, 200, {
      'content-type': 'image/gif',
      // Every view must reach us: no browser or proxy cache may answer for us.
      'cache-control': 'no-store, no-cache, must-revalidate, max-age=0',
      pragma: 'no-cache',
    }),
}
