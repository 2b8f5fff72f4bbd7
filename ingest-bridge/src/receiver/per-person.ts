import type { EdgeBatch } from '@sightline/contracts'

export interface KeyedBatch {
  key: string
  batch: EdgeBatch
}

/**
 * Splits an edge batch into one batch per person, keyed `site:person`, so Kafka puts each
 * person's events on one partition and they stay in order (ADR 0013). The person is the
 * anonymous id when there is one (it survives an identify call), else the user id. The
 * edge's refusals ride with the first part only, so each lands in `rejected` once.
 * Pure; a batch of one person is returned as it is.
 */
export function splitByPerson(batch: EdgeBatch): KeyedBatch[] {
  const groups = new Map<string, EdgeBatch['events']>()
  for (const event of batch.events) {
    const person = event.anonymous_id || event.user_id || ''
    const group = groups.get(person)
    if (group) group.push(event)
    else groups.set(person, [event])
  }
  const site = batch.site_id
  if (groups.size <= 1) {
    const [person] = groups.keys()
    return [{ key: `${site}:${person ?? ''}`, batch }]
  }
  const parts: KeyedBatch[] = []
  for (const [person, events] of groups) {
    const { rejected, ...envelope } = batch
    const part: EdgeBatch = { ...envelope, events }
    if (parts.length === 0 && rejected) part.rejected = rejected
    parts.push({ key: `${site}:${person}`, batch: part })
  }
  return parts
}
