/**
 * Runs `fn` when the page is hidden or left, *before* the core tracker's own page-hide
 * handler sends its beacon: capture listeners on window fire before the core's listeners, so
 * an event queued here leaves in that same beacon.
 */
export function beforePageHide(fn: () => void, w: Window = window): void {
  const run = () => {
    if (w.document.visibilityState === 'hidden') fn()
  }
  w.addEventListener('visibilitychange', run, true)
  w.addEventListener('pagehide', fn, true)
}
