import { LIMITS } from './limits.ts'

const ROWS: Array<[keyof typeof LIMITS, string, (v: number) => string]> = [
  ['maxBodyBytes', 'Request body, after decompression', (v) => `${v / 1024} KB (413 \`payload_too_large\`)`],
  ['maxEventBytes', 'One event, as JSON', (v) => `${v / 1024} KB (event rejected, \`invalid_event\`)`],
  ['maxEventsPerBatch', 'Events per batch', (v) => `${v} (413 \`too_many_events\`)`],
  ['maxPropertyKeys', 'Keys and array items in one event', (v) => `${v} (event rejected)`],
  ['maxDepth', 'Nesting depth of properties / traits / context', (v) => `${v} (event rejected)`],
  ['maxStringLength', 'Any string value or key', (v) => `${v} characters (event rejected)`],
  ['maxEventNameLength', 'Event name', (v) => `${v} characters (event rejected)`],
  ['maxIdLength', 'message_id, anonymous_id, user_id, group_id', (v) => `${v} characters (event rejected)`],
  [
    'maxClockSkewMs',
    'Client clock skew before ts is clamped to received_at',
    (v) => `${v / 86_400_000} days (kept, flagged \`clock_skewed\`)`,
  ],
  [
    'signatureWindowMs',
    'Edge → bridge signature age (replay window)',
    (v) => `±${v / 60_000} minutes (401 \`stale_signature\`)`,
  ],
]

/** The limits table as published in docs/limits.md (a test keeps the two identical). */
export function renderLimitsTable(): string {
  const lines = ['| limit | value |', '| --- | --- |']
  for (const [key, label, format] of ROWS) lines.push(`| ${label} | ${format(LIMITS[key])} |`)
  return lines.join('\n')
}
