import type { EnrichedEvent, ErrorCode, Rejection } from '@sightline/contracts'

/** An event the enrichment step refused, by its position in the events it was given. */
export interface EnrichRefusal {
  position: number
  code: ErrorCode
  message: string
}

export interface EnrichResult {
  events: EnrichedEvent[]
  refused: EnrichRefusal[]
}

/**
 * Turns enrichment refusals into rejections indexed like the client's batch: the step
 * only saw the events validation accepted, so positions skip the already-rejected indices.
 */
export function refusalsAsRejections(
  result: EnrichedEvent[] | EnrichResult,
  alreadyRejected: readonly Rejection[],
): { events: EnrichedEvent[]; rejected: Rejection[] } {
  if (Array.isArray(result)) return { events: result, rejected: [] }
  if (result.refused.length === 0) return { events: result.events, rejected: [] }
  const taken = new Set(alreadyRejected.map((r) => r.index))
  const originalIndex: number[] = []
  const wanted = Math.max(...result.refused.map((r) => r.position)) + 1
  for (let index = 0; originalIndex.length < wanted; index++) {
    if (!taken.has(index)) originalIndex.push(index)
  }
  const rejected = result.refused.map((r) => ({
    index: originalIndex[r.position] ?? r.position,
    code: r.code,
    message: r.message,
  }))
  return { events: result.events, rejected }
}
