import * as z from 'zod'

/** What every insight answer says about itself, beside the kind's own fields. */
export const AnswerMetaSchema = z.object({
  cache: z
    .enum(['hit', 'miss', 'off'])
    .describe(
      'hit: served from the result cache (no data has committed since it was computed); miss: computed now and cached; off: no result cache here',
    ),
  elapsed_ms: z.number().describe('time this request took inside the query service'),
  source: z
    .enum(['events', 'rollup'])
    .optional()
    .describe(
      'what the numbers were computed from: the events table, or the hourly rollup (docs/adr/0025-rollups.md); absent on a cache hit',
    ),
  rows_read: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      'rows the engine read from its tables for this answer, summed over every query it ran (the cost of the answer, not the size of its result); absent on a cache hit, which read nothing, and when the warehouse did not report it',
    ),
  bytes_read: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      'uncompressed bytes of the columns those rows were read from, summed the same way; absent on a cache hit',
    ),
})
export type AnswerMeta = z.output<typeof AnswerMetaSchema>

/** A kind's response as served: its body plus `meta`. */
export function servedResponse(response: z.ZodType): z.ZodType {
  const meta = { meta: AnswerMetaSchema }
  return response instanceof z.ZodObject ? response.extend(meta) : z.intersection(response, z.object(meta))
}
