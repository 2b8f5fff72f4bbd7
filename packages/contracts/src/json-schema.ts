import * as z from 'zod'
import { InboundBatchSchema, InboundEventSchema } from './event.ts'

/**
 * JSON Schema for the public event contract, generated from the same zod schemas the
 * edge validates with, so the published document cannot drift from the code
 * (packages/contracts/schema/*.json is checked against this in a test).
 */
export function eventJsonSchemas(): Record<string, unknown> {
  return {
    'event.schema.json': z.toJSONSchema(InboundEventSchema, {
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }),
    'batch.schema.json': z.toJSONSchema(InboundBatchSchema.extend({ batch: z.array(InboundEventSchema) }), {
      target: 'draft-2020-12',
      unrepresentable: 'any',
    }),
  }
}
