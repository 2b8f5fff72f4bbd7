import type { Tracker } from '../tracker.ts'
import { beforePageHide } from './page-hidden.ts'

/**
 * Tracks how far down the page the visitor scrolled: `Scroll Depth` with `depth` (the
 * deepest point seen, in percent of the page height, 0–100) and the page `path`. Sent when
 * the page is hidden — again on a later hide only if the visitor went deeper — and when an
 * SPA navigation leaves the path, which starts a new measurement.
 */
export function scrollDepth(tracker: Tracker, w: Window = window): void {
  const doc = w.document.documentElement
  let path = w.location.pathname
  let deepest = 0
  let sent = 0
  const measure = () => {
    const seen = Math.min(
      100,
      Math.round(((w.scrollY + w.innerHeight) / Math.max(doc.scrollHeight, 1)) * 100),
    )
    if (seen > deepest) deepest = seen
  }
  const report = () => {
    if (deepest > sent) tracker.track('Scroll Depth', { depth: deepest, path })
    sent = deepest
  }
  const navigated = () => {
    if (w.location.pathname === path) return
    // No re-measure here: the document already shows the new view.
    report()
    path = w.location.pathname
    deepest = sent = 0
  }
  w.addEventListener('scroll', measure, { passive: true })
  w.addEventListener('load', measure)
  w.addEventListener('popstate', navigated)
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = w.history[method]
    w.history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      measure()
      original.apply(this, args)
      navigated()
    }
  }
  beforePageHide(() => {
    measure()
    report()
  }, w)
}
