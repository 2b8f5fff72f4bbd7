import { errorBody } from '@sightline/contracts'
import { REQUEST_ID_HEADER } from '@sightline/http'

/**
 * The 413 of the limits that run before any app (node-server.ts, body.ts): outside Hono,
 * so @sightline/http's renderError cannot be used, but the same contract — body, status,
 * and the request id in body and header alike.
 */
export function tooLargeBody(maxBytes: number): { body: string; requestId: string } {
  const requestId = crypto.randomUUID()
  const message = `body is larger than ${maxBytes} bytes`
  return { body: JSON.stringify(errorBody('payload_too_large', message, requestId)), requestId }
}

export function tooLargeResponse(maxBytes: number): Response {
  const { body, requestId } = tooLargeBody(maxBytes)
  return new Response(body, {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8', [REQUEST_ID_HEADER]: requestId },
  })
}
