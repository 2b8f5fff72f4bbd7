// The npm/ESM entry for bundlers: the same core and plugins as the script tag, without globals.

export { automationSignals } from './plugins/automation.ts'
export { DOWNLOAD_EXTENSIONS, fileDownloads } from './plugins/downloads.ts'
export { outboundLinks } from './plugins/outbound.ts'
export { scrollDepth } from './plugins/scroll.ts'
export { webVitals } from './plugins/web-vitals.ts'
export { createTracker, type Props, type Tracker, type TrackerConfig } from './tracker.ts'
