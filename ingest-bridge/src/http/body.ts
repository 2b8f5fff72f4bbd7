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
    const declared = request.headers.get('content-length')
    if (declared !== null && !request.headers.has('transfer-encoding'))
      return Number(declared) > maxBytes ? refuse() : fetch(request, env)
    const body = await readCappedBody(request.body, maxBytes)
    if (!body) return refuse()
    return fetch(new Request(request, { body: body as Uint8Array<ArrayBuffer> }), env)
  }) as F
}
