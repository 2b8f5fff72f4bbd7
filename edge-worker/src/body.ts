import { LIMITS, type Outcome } from '@sightline/contracts'

/**
 * Reads a request body into memory with a hard byte cap, inflating gzip on the way.
 * Content-Length is not trusted (it can lie or be absent with chunked bodies), and a gzip
 * bomb is stopped as soon as the inflated bytes pass the cap instead of being inflated
 * to the end: the reader is cancelled, which also stops the decompressor.
 */
export async function readBody(
  request: Request,
  maxBytes: number = LIMITS.maxBodyBytes,
): Promise<Outcome<Uint8Array>> {
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'x-gzip') {
    return {
      ok: false,
      code: 'unsupported_media_type',
      message: `Content-Encoding "${encoding}" is not supported; use gzip`,
    }
  }
  const declared = Number(request.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) return tooLarge(maxBytes)
  if (!request.body) return { ok: true, value: new Uint8Array(0) }

  if (encoding === 'identity') {
    // A declared length within the cap is how nearly every client sends: one native read,
    // no chunk loop in JS. Over the network the runtime frames the body by that length; a
    // Request built in code can still carry more, so the length is checked after as well.
    if (request.headers.has('content-length') && Number.isFinite(declared)) {
      let bytes: Uint8Array
      try {
        bytes = new Uint8Array(await request.arrayBuffer())
      } catch {
        return { ok: false, code: 'invalid_request', message: 'the request body could not be read' }
      }
      return bytes.byteLength > maxBytes ? tooLarge(maxBytes) : { ok: true, value: bytes }
    }
    return collect(request.body, maxBytes, undefined)
  }
  // The compressed side is capped too, so a huge upload cannot stream in for ever. The
  // native DecompressionStream replaces the error it is aborted with, so the cap is
  // reported through a flag rather than the error's identity.
  const cap = capped(maxBytes)
  const inflated = request.body.pipeThrough(cap.stream).pipeThrough(new DecompressionStream('gzip'))
  return collect(inflated, maxBytes, cap.exceeded)
}

function tooLarge(maxBytes: number): Outcome<never> {
  return { ok: false, code: 'payload_too_large', message: `body is larger than ${maxBytes} bytes` }
}

function capped(maxBytes: number): {
  stream: TransformStream<Uint8Array, Uint8Array>
  exceeded: () => boolean
} {
  let seen = 0
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      seen += chunk.byteLength
      if (seen > maxBytes) controller.error(new Error('compressed body over the cap'))
      else controller.enqueue(chunk)
    },
  })
  return { stream, exceeded: () => seen > maxBytes }
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  /** Undefined for identity bodies; for gzip, whether the compressed input passed the cap. */
  compressedOverCap: (() => boolean) | undefined,
): Promise<Outcome<Uint8Array>> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      total += value.byteLength
      if (total > maxBytes) {
        // Fire and forget: waiting for the cancel to propagate would only delay the 413.
        reader.cancel().catch(() => {})
        return tooLarge(maxBytes)
      }
      chunks.push(value)
    }
  } catch {
    if (compressedOverCap?.()) return tooLarge(maxBytes)
    if (compressedOverCap) return { ok: false, code: 'invalid_request', message: 'body is not valid gzip' }
    return { ok: false, code: 'invalid_request', message: 'the request body could not be read' }
  }
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return { ok: true, value: out }
}
