import type { Tracker } from '../tracker.ts'

/**
 * Tracks clicks on links to other hosts as `Outbound Link` with the link's `url`. The event
 * is queued before the browser leaves; the tracker's page-hide beacon carries it out.
 */
export function outboundLinks(tracker: Tracker, doc: Document = document): void {
  const onClick = (e: MouseEvent) => {
    const link = (e.target as Element | null)?.closest?.('a[href]') as HTMLAnchorElement | null
    if (!link || !/^https?:$/.test(link.protocol) || link.host === location.host) return
    tracker.track('Outbound Link', { url: link.href })
  }
  doc.addEventListener('click', onClick, true)
  // Middle clicks open a tab without a `click` event on every browser.
  doc.addEventListener('auxclick', (e) => e.button === 1 && onClick(e), true)
}
