// The one-line install: `<script defer src="https://edge.example/s.js" data-key="wk_…"></script>`.
// Settings come from the tag's data attributes; the tracker becomes `window.sightline`.
import { createTracker, type Tracker } from './tracker.ts'

type Call = [keyof Tracker, ...unknown[]]

const tag = document.currentScript as HTMLScriptElement
const d = tag.dataset
const earlier = (window as { sightline?: unknown }).sightline
const tracker = createTracker({
  key: d.key!,
  // Default: the origin the script came from (the edge, or the site itself behind a proxy).
  endpoint: d.api || new URL(tag.src).origin,
  auto: d.auto !== 'false',
  cookieless: d.cookieless !== undefined,
  respectDnt: d.respectDnt !== undefined,
})
;(window as { sightline?: Tracker }).sightline = tracker
// Calls made before the script loaded (`window.sightline = window.sightline || []`, then pushes).
if (Array.isArray(earlier))
  for (const [name, ...args] of earlier as Call[]) (tracker[name] as (...a: unknown[]) => void)(...args)
