import { chDateTime, TS_TYPE } from './fragments.ts'
import type { Planned } from './types.ts'

export interface RejectedSpec {
  site: string
  /** Inclusive, by received_at. */
  from: Date
  /** Exclusive. */
  to: Date
}

export interface RejectedRow {
  stage: string
  code: string
  count: number | string
  last_at: string
  example_message: string
}

/**
 * What was refused for a site and why, by stage (edge, writer) and code: the visible side of
 * "nothing is silently dropped". One example message per group helps find the cause.
 */
export function planRejected(spec: RejectedSpec): Planned {
  const sql = `SELECT
  stage,
  code,
  count() AS count,
  max(received_at) AS last_at,
  argMax(message, received_at) AS example_message
FROM rejected
WHERE site_id = {site:String}
  AND received_at >= {from:${TS_TYPE}}
  AND received_at < {to:${TS_TYPE}}
GROUP BY stage, code
ORDER BY count DESC, stage, code`
  return { sql, params: { site: spec.site, from: chDateTime(spec.from), to: chDateTime(spec.to) } }
}
