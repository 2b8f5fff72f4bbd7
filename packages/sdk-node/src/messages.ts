// The typed calls and the native wire event they become (docs/edge.md, POST /v1/batch).

export type Props = Record<string, unknown>

/** Every call names who did it: a user id, an anonymous id, or both. */
export type Identity = { userId: string; anonymousId?: string } | { userId?: string; anonymousId: string }

interface Common {
  /** The dedup key; generated when absent. Reuse it when re-sending the same fact. */
  messageId?: string
  /** When it happened (client clock); defaults to now. */
  timestamp?: Date | string
  /** Merged over the SDK's context (library); `ip` and `userAgent` describe the end user. */
  context?: Props
}

export type TrackMessage = Identity & Common & { event: string; properties?: Props }
export type PageMessage = Identity & Common & { name?: string; properties?: Props }
export type IdentifyMessage = Identity & Common & { traits?: Props }
export type AliasMessage = Common & { userId: string; previousId: string }
export type GroupMessage = Identity & Common & { groupId: string; traits?: Props }

export interface WireEvent {
  type: 'track' | 'page' | 'identify' | 'alias' | 'group'
  message_id: string
  timestamp: string
  event?: string
  name?: string
  anonymous_id?: string
  user_id?: string
  group_id?: string
  previous_id?: string
  properties?: Props
  traits?: Props
  context?: Props
}

type AnyMessage = Common & {
  userId?: string
  anonymousId?: string
  event?: string
  name?: string
  groupId?: string
  previousId?: string
  properties?: Props
  traits?: Props
}

/** Pure: a typed call → the native event, ids and time filled in. */
export function toWireEvent(type: WireEvent['type'], m: AnyMessage, newId: () => string): WireEvent {
  const time = m.timestamp === undefined ? new Date() : new Date(m.timestamp)
  const out: WireEvent = {
    type,
    message_id: m.messageId ?? newId(),
    timestamp: Number.isNaN(time.getTime()) ? new Date().toISOString() : time.toISOString(),
  }
  if (m.event !== undefined) out.event = m.event
  if (m.name !== undefined) out.name = m.name
  if (m.anonymousId !== undefined) out.anonymous_id = String(m.anonymousId)
  if (m.userId !== undefined) out.user_id = String(m.userId)
  if (m.groupId !== undefined) out.group_id = String(m.groupId)
  if (m.previousId !== undefined) out.previous_id = String(m.previousId)
  if (m.properties !== undefined) out.properties = m.properties
  if (m.traits !== undefined) out.traits = m.traits
  if (m.context !== undefined) out.context = m.context
  return out
}
