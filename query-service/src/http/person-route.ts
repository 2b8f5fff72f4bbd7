import { LIMITS } from '@sightline/contracts'
import { HttpError, type RequestIdEnv } from '@sightline/http'
import type { Context, Hono } from 'hono'
import * as z from 'zod'
import { describeIssues } from '../insights/params.ts'
import {
  type EventCursor,
  planMembers,
  planPersonEvents,
  planPersonOf,
  planPersonSummary,
} from '../persons/plan.ts'
import { type RunContext, runPlanned } from './run.ts'

/** Ids listed per person; a person merged from more ids than this is listed truncated. */
export const MAX_PERSON_IDS = 10_000
export const MAX_PERSON_EVENTS_PAGE = 200

export const PersonQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PERSON_EVENTS_PAGE).default(50),
  /** The `next_before` of the previous page. */
  before: z.string().min(1).max(600).optional(),
})

const count = z.coerce.number().int().nonnegative()
const PersonOfRow = z.object({ person: z.string() })
const MemberRow = z.object({ id: z.string() })
const SummaryRow = z.object({ events: count, first_ms: z.coerce.number(), last_ms: z.coerce.number() })
const EventRow = z.object({
  ts_ms: z.coerce.number(),
  type: z.string(),
  event: z.string(),
  message_id: z.string(),
  anonymous_id: z.string(),
  user_id: z.string(),
  page_path: z.string(),
  properties: z.string(),
  is_bot: z.boolean(),
})

const isoInstant = z.string().describe('ISO 8601 instant, UTC')
export const PersonResponseSchema = z.object({
  site: z.string(),
  person: z.string().describe('the person’s name: the smallest of its ids (docs/persons.md)'),
  ids: z.array(z.string()).describe('every id merged into this person, sorted'),
  ids_truncated: z.boolean(),
  first_seen: isoInstant.nullable().describe('the time of its first event; null when none is stored'),
  last_seen: isoInstant.nullable(),
  events_total: z.number().int(),
  events: z.array(
    z.object({
      ts: isoInstant,
      type: z.string(),
      event: z.string(),
      message_id: z.string(),
      anonymous_id: z.string(),
      user_id: z.string(),
      page_path: z.string(),
      properties: z.record(z.string(), z.unknown()),
      is_bot: z.boolean(),
    }),
  ),
  next_before: z.string().nullable().describe('pass as `before` for the next (older) page; null on the last'),
})
export type PersonResponse = z.output<typeof PersonResponseSchema>

/** Cursors are opaque to clients: base64url of [time in ms, message id]. */
export function encodeCursor(cursor: EventCursor): string {
  return Buffer.from(JSON.stringify([cursor.tsMs, cursor.messageId])).toString('base64url')
}

export function decodeCursor(text: string): EventCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown
    if (!Array.isArray(value) || value.length !== 2) return undefined
    const [tsMs, messageId] = value as [unknown, unknown]
    if (typeof tsMs !== 'number' || !Number.isSafeInteger(tsMs) || typeof messageId !== 'string')
      return undefined
    if (messageId.length > LIMITS.maxIdLength) return undefined
    return { tsMs, messageId }
  } catch {
    return undefined
  }
}

export interface PersonRouteDeps {
  runContext(c: Context<RequestIdEnv>): RunContext
}

/** The person's ids: itself alone until a merge wrote overrides for it. */
export async function personIds(
  run: RunContext,
  site: string,
  id: string,
): Promise<{ person: string; ids: string[]; truncated: boolean }> {
  const [found] = await runPlanned(run, {
    name: 'person.of',
    planned: planPersonOf(site, id),
    row: PersonOfRow,
  })
  const person = found?.person ? found.person : id
  const members = await runPlanned(run, {
    name: 'person.ids',
    planned: planMembers(site, person, MAX_PERSON_IDS),
    row: MemberRow,
  })
  const ids = members.length === 0 ? [person] : members.map((m) => m.id)
  return { person, ids, truncated: members.length >= MAX_PERSON_IDS }
}

/**
 * `GET /v1/sites/:site/persons/:id`: a person by any of its ids, with its ids, first and
 * last seen and its events newest first, paged by `before`. 404 when nothing is stored
 * under the id (no event and no merge). The read-key middleware has checked :site.
 */
export function mountPersonRoute(app: Hono<RequestIdEnv>, deps: PersonRouteDeps): void {
  app.get('/v1/sites/:site/persons/:id', async (c) => {
    const site = c.req.param('site')
    const id = c.req.param('id')
    if (id.length > LIMITS.maxIdLength) {
      throw new HttpError('invalid_query', `id: at most ${LIMITS.maxIdLength} characters`)
    }
    const parsed = PersonQuerySchema.safeParse(c.req.query())
    if (!parsed.success) throw new HttpError('invalid_query', describeIssues(parsed.error))
    const before = parsed.data.before === undefined ? undefined : decodeCursor(parsed.data.before)
    if (parsed.data.before !== undefined && before === undefined) {
      throw new HttpError(
        'invalid_query',
        'before: not a cursor this endpoint returned (pass `next_before` as is)',
      )
    }
    const run = deps.runContext(c)
    const { person, ids, truncated } = await personIds(run, site, id)
    const [summary] = await runPlanned(run, {
      name: 'person.summary',
      planned: planPersonSummary(site, ids),
      row: SummaryRow,
    })
    const total = summary?.events ?? 0
    if (total === 0 && ids.length === 1)
      throw new HttpError('not_found', `no person with id ${JSON.stringify(id)} on this site`)
    const limit = parsed.data.limit
    const rows = await runPlanned(run, {
      name: 'person.events',
      planned: planPersonEvents(site, ids, limit, before),
      row: EventRow,
    })
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    const body: PersonResponse = {
      site,
      person,
      ids,
      ids_truncated: truncated,
      first_seen: total === 0 ? null : new Date(summary!.first_ms).toISOString(),
      last_seen: total === 0 ? null : new Date(summary!.last_ms).toISOString(),
      events_total: total,
      events: page.map((r) => ({
        ts: new Date(r.ts_ms).toISOString(),
        type: r.type,
        event: r.event,
        message_id: r.message_id,
        anonymous_id: r.anonymous_id,
        user_id: r.user_id,
        page_path: r.page_path,
        properties: JSON.parse(r.properties) as Record<string, unknown>,
        is_bot: r.is_bot,
      })),
      next_before:
        rows.length > limit && last ? encodeCursor({ tsMs: last.ts_ms, messageId: last.message_id }) : null,
    }
    return c.json(body)
  })
}
