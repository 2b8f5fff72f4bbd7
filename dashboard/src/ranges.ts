// Date ranges in the viewer's local time. `to` is exclusive, as in the API: "7 days" is the
// six days before today and today, through tonight's midnight.
import type { RangeKind } from './url-state.ts'

export type Interval = 'hour' | 'day' | 'week' | 'month'

export interface Window {
  from: Date
  to: Date
  interval: Interval
}

const HOUR_MS = 3_600_000

function midnight(date: Date, addDays = 0): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + addDays)
}

/** A local YYYY-MM-DD date at local midnight. */
export function localDate(text: string): Date {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number]
  return new Date(y, m - 1, d)
}

export function isoDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** The trends bucket that keeps a chart readable and under the API's 2,000-bucket cap. */
export function intervalFor(from: Date, to: Date): Interval {
  const hours = (to.getTime() - from.getTime()) / HOUR_MS
  if (hours <= 48) return 'hour'
  if (hours <= 24 * 93) return 'day'
  if (hours <= 24 * 732) return 'week'
  return 'month'
}

export function resolveWindow(
  range: RangeKind,
  now: Date,
  custom?: { from: string | undefined; to: string | undefined },
): Window {
  const tomorrow = midnight(now, 1)
  let from: Date
  let to = tomorrow
  if (range === 'today') from = midnight(now)
  else if (range === '30d') from = midnight(now, -29)
  else if (range === 'month') {
    from = new Date(now.getFullYear(), now.getMonth(), 1)
    to = new Date(now.getFullYear(), now.getMonth() + 1, 1)
  } else if (range === 'custom' && custom?.from && custom.to) {
    from = localDate(custom.from)
    to = midnight(localDate(custom.to), 1)
    if (to <= from) to = midnight(from, 1)
  } else from = midnight(now, -6)
  return { from, to, interval: intervalFor(from, to) }
}

/** The period of equal length just before (what stats compares with). */
export function previousWindow(w: { from: Date; to: Date }): { from: Date; to: Date } {
  const span = w.to.getTime() - w.from.getTime()
  return { from: new Date(w.from.getTime() - span), to: w.from }
}
