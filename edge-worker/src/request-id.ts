import { acceptableRequestId } from '@sightline/http'

/**
 * The request id for answers given outside the Hono app (the misconfigured-edge 500, odd
 * methods): the same rule as the app's middleware, so a hostile `cf-ray` is never echoed.
 */
export function requestIdFrom(headers: Headers): string {
  const ray = headers.get('cf-ray') ?? undefined
  return acceptableRequestId(ray) ? ray : crypto.randomUUID()
}
