import { isIP } from 'node:net'
import type { EdgeBatch } from '@sightline/contracts'

// Candidates only; isIP() decides. Two colons at least, so "12:30" is never a candidate.
const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/g
const IPV6 =
  /(?<![0-9A-Fa-f:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?:\.\d{1,3}){3})?(?![0-9A-Fa-f:])/g
const REMOVED = '[ip removed]'

function scrub(text: string): string {
  const replace = (candidate: string) => (isIP(candidate) ? REMOVED : candidate)
  return text.replace(IPV4, replace).replace(IPV6, replace)
}

/**
 * No raw IP reaches the stream log or the rejected table unless the site keeps IPs: the
 * edge drops `context.ip` from accepted events, but a refused event travels as the client
 * sent it (raw text, for the rejected table) and may name its IP anywhere (`context.ip`,
 * PostHog's `$ip`…), and an event's `ip` is only for sites that opted in. Returns whether
 * the batch changed (it is then re-serialised; the common batch is untouched).
 */
export function dropRawIps(batch: EdgeBatch): boolean {
  let changed = false
  for (const event of batch.events) {
    if (typeof event !== 'object' || event === null) continue
    if ('ip' in event) {
      delete (event as { ip?: string }).ip
      changed = true
    }
    const context = event.context as { ip?: unknown } | undefined
    if (typeof context === 'object' && context !== null && 'ip' in context) {
      delete context.ip
      changed = true
    }
  }
  for (const refusal of batch.rejected ?? []) {
    if (typeof refusal?.raw !== 'string') continue
    const clean = scrub(refusal.raw)
    if (clean !== refusal.raw) {
      refusal.raw = clean
      changed = true
    }
  }
  return changed
}
