import { LIMITS } from './limits.ts'

export interface CorrectedTime {
  ts: string
  skewed: boolean
}

/**
 * Client clocks are wrong more often than not. If the client told us when it sent the
 * batch (sent_at), the event's age by the client's clock is trusted and re-based on our
 * clock: ts = received_at − (sent_at − timestamp). Values outside the sane window are
 * clamped to received_at and flagged rather than rejected, so nothing is lost.
 */
export function correctTimestamp(
  timestamp: string | undefined,
  sentAt: string | undefined,
  receivedAt: string,
  maxSkewMs: number = LIMITS.maxClockSkewMs,
): CorrectedTime {
  const received = Date.parse(receivedAt)
  if (timestamp === undefined) return { ts: receivedAt, skewed: false }
  const client = Date.parse(timestamp)
  const sent = sentAt === undefined ? Number.NaN : Date.parse(sentAt)
  const corrected = Number.isFinite(sent) ? received - (sent - client) : client
  if (!Number.isFinite(corrected)) return { ts: receivedAt, skewed: true }
  // Events from the future (beyond a small tolerance) or too old are implausible.
  if (corrected > received + 60_000 || received - corrected > maxSkewMs) {
    return { ts: receivedAt, skewed: true }
  }
  return { ts: new Date(Math.min(corrected, received)).toISOString(), skewed: false }
}
