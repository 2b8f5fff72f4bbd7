import { parseJsonBody } from '@sightline/contracts'
import { readBody } from '../body.ts'
import type { DecodedRequest, Surface } from '../pipeline/surface.ts'
import { readNativeBatch, readSingleEvent } from './native-readers.ts'

/** JSON body (gzip allowed), capped while it is read. */
export async function decodeJsonBody(request: Request) {
  const bytes = await readBody(request)
  if (!bytes.ok) return bytes
  const json = parseJsonBody(bytes.value)
  if (!json.ok) return json
  return { ok: true as const, value: { body: json.value } satisfies DecodedRequest }
}

/** POST /v1/batch: `{batch:[...], sent_at?, context?}`. */
export const nativeBatch: Surface = { ingestPath: 'native', decode: decodeJsonBody, read: readNativeBatch }

/** POST /v1/track: one event as the body; type defaults to track. */
export const nativeTrack: Surface = { ingestPath: 'native', decode: decodeJsonBody, read: readSingleEvent }
