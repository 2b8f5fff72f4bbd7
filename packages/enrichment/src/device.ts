import type { Device } from '@sightline/contracts'
import UAParser from 'ua-parser-js'
import { looksLikeBot } from './bot-patterns.ts'
import { type HeaderGetter, readClientHints, windowsVersion } from './client-hints.ts'
import { Lru } from './lru.ts'

/** ua-parser-js 1.0 looks at the first 500 characters itself; longer keys would only bloat the cache. */
const MAX_UA_CHARS = 512
const cache = new Lru<string, Readonly<Device>>(2_000)

/** One spelling per OS across both sources (ua-parser 1.0 still says "Mac OS"). */
const OS_NAMES: Record<string, string> = {
  'Mac OS': 'macOS',
  macOS: 'macOS',
  'Chromium OS': 'ChromeOS',
  'Chrome OS': 'ChromeOS',
}

function osName(name: string): string {
  return OS_NAMES[name] ?? name
}

function fromUserAgent(userAgent: string): Device {
  const r = new UAParser(userAgent).getResult()
  const out: Device = {}
  if (r.browser.name) out.browser = r.browser.name
  if (r.browser.version) out.browser_version = r.browser.version
  if (r.os.name) out.os = osName(r.os.name)
  if (r.os.version) out.os_version = r.os.version
  if (r.device.vendor) out.device_vendor = r.device.vendor
  if (r.device.model) out.device_model = r.device.model
  if (looksLikeBot(userAgent)) out.device_type = 'bot'
  else if (r.device.type) out.device_type = r.device.type
  else if (out.browser || out.os) out.device_type = 'desktop'
  return out
}

/**
 * Client hints are the browser's own structured answer, so they win over the UA string,
 * which Chromium has frozen ("Windows NT 10.0" on Windows 11, "Android 10; K" for every
 * Android phone, a fixed macOS version).
 */
function applyHints(device: Device, headers: HeaderGetter | undefined): Device {
  const hints = readClientHints(headers)
  if (Object.keys(hints).length === 0) return device
  const out = { ...device }
  if (hints.brand) {
    out.browser = hints.brand
    if (hints.brandVersion) out.browser_version = hints.brandVersion
    else if (device.browser !== hints.brand) delete out.browser_version
  }
  if (hints.platform) {
    const platform = osName(hints.platform)
    if (platform !== out.os) delete out.os_version
    out.os = platform
    if (hints.platformVersion) {
      const version = platform === 'Windows' ? windowsVersion(hints.platformVersion) : hints.platformVersion
      if (version) out.os_version = version
    }
  }
  if (hints.model) out.device_model = hints.model
  if (out.device_type !== 'bot' && hints.mobile !== undefined) {
    // ?1 means a phone-class UI; a tablet UA that says ?0 stays a tablet.
    if (hints.mobile) out.device_type = 'mobile'
    else if (out.device_type === undefined || out.device_type === 'mobile') out.device_type = 'desktop'
  }
  return out
}

function hintsKey(headers: HeaderGetter | undefined): string {
  if (!headers) return ''
  // Cheap and collision-free enough: the raw header values, in a fixed order.
  return [
    headers.get('sec-ch-ua'),
    headers.get('sec-ch-ua-full-version-list'),
    headers.get('sec-ch-ua-mobile'),
    headers.get('sec-ch-ua-platform'),
    headers.get('sec-ch-ua-platform-version'),
    headers.get('sec-ch-ua-model'),
  ]
    .map((v) => v ?? '')
    .join('\u0000')
}

/**
 * Browser, OS and device class from a User-Agent string and (optionally) the request's
 * UA-CH headers. Results are cached per (UA, hints); the returned object is frozen and
 * shared, so callers copy it before changing anything.
 */
export function parseDevice(userAgent: string | null | undefined, headers?: HeaderGetter): Readonly<Device> {
  const ua = typeof userAgent === 'string' ? userAgent.slice(0, MAX_UA_CHARS) : ''
  const key = `${ua}\u0001${hintsKey(headers)}`
  const cached = cache.get(key)
  if (cached) return cached
  let device: Device
  try {
    device = applyHints(ua ? fromUserAgent(ua) : {}, headers)
  } catch {
    // ua-parser has had ReDoS-class bugs; a broken parse must not cost the event.
    device = {}
  }
  const frozen = Object.freeze(device)
  cache.set(key, frozen)
  return frozen
}
