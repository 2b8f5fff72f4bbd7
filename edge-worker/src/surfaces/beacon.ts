import { parseJsonBody } from '@sightline/contracts'
import { readBody } from '../body.ts'
import type { EventReader, Surface } from '../pipeline/surface.ts'
import { isPlainObject } from './mapped.ts'
import { readNativeBatch, readSingleEvent } from './native-readers.ts'

/**
 * POST /v1/b: the browser beacon. navigator.sendBeacon cannot set headers, and a string
 * body goes out as `text/plain`, which is what keeps the request "simple" (no CORS
 * preflight, so it survives page unload). So the Content-Type is not checked, and the write
 * key rides in the body (`write_key`) or the query string (`?k=`). The body is a native
 * batch `{batch:[...]}` or one native event.
 */
async function decodeBeacon(request: Request) {
  const bytes = await readBody(request)
  if (!bytes.ok) return bytes
  const json = parseJsonBody(bytes.value)
  if (!json.ok) return json
  let body = json.value
  let writeKey = new URL(request.url).searchParams.get('k') || undefined
  if (isPlainObject(body) && Object.hasOwn(body, 'write_key')) {
    // Taken out so the key is not stored with a rejected event's raw bytes.
    const { write_key: inBody, ...rest } = body
    if (typeof inBody === 'string' && inBody !== '') writeKey ??= inBody
    body = rest
  }
  return { ok: true as const, value: { body, ...(writeKey ? { writeKey } : {}) } }
}

const readBeacon: EventReader = (body, info) =>
  isPlainObject(body) && Object.hasOwn(body, 'batch')
    ? readNativeBatch(body, info)
    : readSingleEvent(body, info)

export const beacon: Surface = {
  ingestPath: 'beacon',
  decode: decodeBeacon,
  read: readBeacon,
  // Nobody reads a beacon's answer; 204 keeps it to headers.
  respond: (c) => c.body(null, 204),
}
