import type { Tracker } from '../tracker.ts'
import { beforePageHide } from './page-hidden.ts'

/**
 * Core Web Vitals from the browser's own performance entries, sent once per page load as
 * `Web Vitals` when the page is first hidden: `lcp`, `fcp`, `ttfb`, `inp` (ms) and `cls`
 * (unitless), each only when the browser measured it (Safari and Firefox lack some).
 *
 * Definitions follow web.dev: LCP is the last `largest-contentful-paint` entry; CLS is the
 * largest session window of layout shifts without recent input (gaps < 1 s, windows ≤ 5 s).
 * INP is simplified to the longest interaction (web.dev takes the 98th percentile, which only
 * differs on pages with more than 50 interactions). Soft SPA navigations are not separated.
 */
export function webVitals(tracker: Tracker, w: Window = window): void {
  const vitals: Record<string, number> = {}
  const observe = (type: string, on: (entries: PerformanceEntry[]) => void, extra: object = {}) => {
    try {
      new PerformanceObserver((list) => on(list.getEntries())).observe({ type, buffered: true, ...extra })
    } catch {
      // Entry type not supported by this browser: that vital is simply absent.
    }
  }
  const ms = (n: number) => Math.round(n)

  const nav = w.performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined
  if (nav) vitals.ttfb = ms(nav.responseStart)
  observe('paint', (entries) => {
    for (const e of entries) if (e.name === 'first-contentful-paint') vitals.fcp = ms(e.startTime)
  })
  observe('largest-contentful-paint', (entries) => {
    const last = entries.at(-1)
    if (last) vitals.lcp = ms(last.startTime)
  })

  let cls = 0
  let windowValue = 0
  let windowStart = 0
  let windowLast = 0
  vitals.cls = 0
  observe('layout-shift', (entries) => {
    for (const e of entries as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
      if (e.hadRecentInput) continue
      if (windowValue && e.startTime - windowLast < 1000 && e.startTime - windowStart < 5000) {
        windowValue += e.value
      } else {
        windowValue = e.value
        windowStart = e.startTime
      }
      windowLast = e.startTime
      cls = Math.max(cls, windowValue)
      vitals.cls = Math.round(cls * 10_000) / 10_000
    }
  })
  observe(
    'event',
    (entries) => {
      for (const e of entries as (PerformanceEntry & { interactionId?: number })[]) {
        if (e.interactionId) vitals.inp = Math.max(vitals.inp ?? 0, ms(e.duration))
      }
    },
    { durationThreshold: 16 },
  )

  let sent = false
  beforePageHide(() => {
    if (sent) return
    sent = true
    tracker.track('Web Vitals', { ...vitals, path: w.location.pathname })
  }, w)
}
