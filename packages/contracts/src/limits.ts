/**
 * The one limits table. The edge enforces it first; the bridge enforces it again because
 * it must never trust its network (docs/limits.md is generated from the same numbers).
 */
export const LIMITS = {
  /** Request body after decompression. */
  maxBodyBytes: 500 * 1024,
  /** One event, serialised as JSON. */
  maxEventBytes: 32 * 1024,
  maxEventsPerBatch: 500,
  /** Keys counted across the whole properties/traits/context tree of one event. */
  maxPropertyKeys: 1000,
  /** Nesting depth of properties/traits/context (the event object itself is depth 0). */
  maxDepth: 8,
  /** Any string value or key, in UTF-16 code units. */
  maxStringLength: 8 * 1024,
  maxEventNameLength: 200,
  maxIdLength: 200,
  /** Client clocks further off than this are clamped to received_at and flagged. */
  maxClockSkewMs: 7 * 24 * 3600 * 1000,
  /** Edge→bridge signatures older or newer than this are refused (replay window). */
  signatureWindowMs: 5 * 60 * 1000,
} as const

export type Limits = typeof LIMITS
