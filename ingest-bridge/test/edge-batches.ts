import { type EdgeBatch, type EnrichedEvent, signBody, stampEvent } from '@sightline/contracts'

export const SIGNING_KEYS = { k1: 'test-signing-secret-0123456789' }

/** A stamped event as the edge would forward it. */
export function edgeEvent(messageId: string, over: Partial<EnrichedEvent> = {}): EnrichedEvent {
  const stamped = stampEvent(
    {
      type: 'page',
      message_id: messageId,
      anonymous_id: `anon-${messageId}`,
      context: { page: { path: '/x' } },
    },
    { siteId: 'site_a', receivedAt: new Date().toISOString(), ingestPath: 'native' },
  )
  return { ...stamped, ...over }
}

export function edgeBatch(messageIds: string[], siteId = 'site_a'): EdgeBatch {
  return {
    v: 1,
    batch_id: crypto.randomUUID(),
    site_id: siteId,
    received_at: new Date().toISOString(),
    events: messageIds.map((id) => edgeEvent(id, { site_id: siteId })),
  }
}

export async function signedRequest(
  body: string,
  keyId = 'k1',
  secret = SIGNING_KEYS.k1,
): Promise<RequestInit> {
  return {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-sightline-signature': await signBody(body, keyId, secret),
    },
  }
}
