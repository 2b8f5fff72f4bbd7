import { attribution } from './attribution.ts'
import { breakdown } from './breakdown.ts'
import type { AnyInsight } from './define.ts'
import { eventNames } from './event-names.ts'
import { funnel } from './funnel.ts'
import { funnelPersons } from './funnel-persons.ts'
import { paths } from './paths.ts'
import { rejected } from './rejected.ts'
import { retention } from './retention.ts'
import { stats } from './stats.ts'
import { trends } from './trends.ts'

/**
 * Every insight kind the query service answers. Adding a kind is one module (see
 * docs/api.md, "Adding an insight kind") and one line here: the GET route, the
 * `POST /v1/sites/:site/query` entry, OpenAPI and the docs check all come from this list.
 */
export const INSIGHTS: readonly AnyInsight[] = [
  stats,
  trends,
  breakdown,
  funnel,
  funnelPersons,
  retention,
  paths,
  attribution,
  rejected,
  eventNames,
]

const KIND = /^[a-z][a-z0-9_]{0,40}$/

/** Looks kinds up by name; refuses duplicate or path-unsafe names at startup. */
export function insightIndex(insights: readonly AnyInsight[]): ReadonlyMap<string, AnyInsight> {
  const byKind = new Map<string, AnyInsight>()
  for (const insight of insights) {
    if (!KIND.test(insight.kind)) throw new Error(`invalid insight kind ${JSON.stringify(insight.kind)}`)
    if (insight.kind === 'query') throw new Error('`query` names the POST entry, not a kind')
    if (byKind.has(insight.kind)) throw new Error(`two insight kinds are named ${insight.kind}`)
    byKind.set(insight.kind, insight)
  }
  return byKind
}

insightIndex(INSIGHTS)
