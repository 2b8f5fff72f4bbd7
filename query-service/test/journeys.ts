import { type EnrichedEvent, type InboundEvent, stampEvent } from '@sightline/contracts'
import { type EventRow, toEventRow } from '@sightline/warehouse'

/**
 * A small builder for hand-made journeys (page views and track events of named devices and
 * users), stored through the writer's own row mapping so they look exactly like production rows.
 */

export interface Touch {
  /** The device (anonymous id); '' for a server-side event. */
  device: string
  /** The user id the event carries, if any (the stored person is then the user). */
  user?: string
  at: string
  site?: string
  bot?: boolean
}

export interface Journal {
  page(
    t: Touch & { path: string; referrer?: string; utm?: [source: string, medium: string, campaign?: string] },
  ): void
  track(t: Touch & { event: string; properties?: Record<string, unknown> }): void
  /** Links the device to the user (what a login sends). */
  identify(t: Touch & { user: string }): void
  rows(): EventRow[]
}

export function journal(defaultSite: string, host = 'shop.example'): Journal {
  const events: Array<{ event: InboundEvent; site: string; bot: boolean }> = []
  let n = 0
  const base = (t: Touch): InboundEvent => {
    const e: InboundEvent = {
      type: 'track',
      message_id: `j-${defaultSite}-${String(n++).padStart(5, '0')}`,
      timestamp: t.at,
      properties: {},
    } as InboundEvent
    if (t.device !== '') e.anonymous_id = t.device
    if (t.user !== undefined) e.user_id = t.user
    return e
  }
  return {
    page(t) {
      const e = base(t)
      e.type = 'page'
      e.context = { page: { url: `https://${host}${t.path}`, path: t.path, referrer: t.referrer ?? '' } }
      if (t.utm) e.context.campaign = { source: t.utm[0], medium: t.utm[1], name: t.utm[2] ?? '' }
      events.push({ event: e, site: t.site ?? defaultSite, bot: t.bot ?? false })
    },
    track(t) {
      const e = base(t)
      e.event = t.event
      e.properties = t.properties ?? {}
      events.push({ event: e, site: t.site ?? defaultSite, bot: t.bot ?? false })
    },
    identify(t) {
      const e = base(t)
      e.type = 'identify'
      events.push({ event: e, site: t.site ?? defaultSite, bot: t.bot ?? false })
    },
    rows() {
      return events.map(({ event, site, bot }) => {
        const stamped = stampEvent(event, {
          siteId: site,
          receivedAt: event.timestamp!,
          ingestPath: 'native',
        })
        const enriched: EnrichedEvent = {
          ...stamped,
          bot: { is_bot: bot, score: bot ? 1 : 0, reasons: bot ? ['ua_crawler'] : [] },
        }
        return toEventRow(enriched, { retentionDays: 10_000 })
      })
    },
  }
}
