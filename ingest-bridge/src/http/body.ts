import { tooLargeResponse } from './too-large.ts'

/**
 * Reads a body into memory up to `maxBytes`, chunk by chunk, and gives up as soon as it
 * passes: a chunked upload has no Content-Length to refuse up front, and reading it whole
 * before judging it is what let one unsigned request hold hundreds of MB. Undefined when
 * the body is over the cap (the stream is cancelled; the server then drops the connection).
 */
export async function readCappedBody(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  if (!body) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      // Not awaited: the 413 should not wait for the cancel to reach the socket.
      reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

/**
 * The body of a request whose size was already checked against `maxBytes` when declared.
 * With a declared Content-Length (and no chunking) Node's parser delivers exactly that many
 * bytes, so the body is read the adapter's fast way (straight from the socket's buffers);
 * a web-stream read chunk by chunk costs the receiver a quarter of its throughput. Only an
 * undeclared (chunked) body is read through the cap.
 */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<Uint8Array | undefined> {
  if (hasDeclaredLength(request)) return new Uint8Array(await request.arrayBuffer())
  return readCappedBody(request.body, maxBytes)
}

function hasDeclaredLength(request: Request): boolean {
  return request.headers.get('content-length') !== null && !request.headers.has('transfer-encoding')
}

type Fetch = (request: Request, env?: unknown) => Response | Promise<Response>

/**
 * The body cap for an app that does not enforce one itself (the query service, whose code
 * reads no bodies today but will take POSTed specs): a declared length over the cap is
 * refused unread, a chunked body is read up to the cap before the app sees it.
 */
export function withBodyLimit<F extends Fetch>(fetch: F, maxBytes: number): F {
  const refuse = () => tooLargeResponse(maxBytes)
  return (async (request: Request, env?: unknown) => {
    if (!request.body) return fetch(request, env)
    if (hasDeclaredLength(request))
      return Number(request.headers.get('content-length')) > maxBytes ? refuse() : fetch(request, env)
    const body = await readCappedBody(request.body, maxBytes)
    if (!body) return refuse()
    return fetch(new Request(request, { body: body as Uint8Array<ArrayBuffer> }), env)
  }) as F
}
