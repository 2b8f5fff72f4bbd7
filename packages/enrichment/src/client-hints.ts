import { parseBoolean, parseList, parseString } from './structured-headers.ts'

/** Anything with `get(name)`, like `Headers`; lets Node and workerd callers pass what they have. */
export interface HeaderGetter {
  get(name: string): string | null | undefined
}

export interface ClientHints {
  /** Meaningful brand (GREASE and the generic "Chromium" dropped when a real one exists). */
  brand?: string
  /** Major version from Sec-CH-UA, full version from Sec-CH-UA-Full-Version-List when sent. */
  brandVersion?: string
  mobile?: boolean
  platform?: string
  platformVersion?: string
  model?: string
}

export const CLIENT_HINT_HEADERS = [
  'sec-ch-ua',
  'sec-ch-ua-full-version-list',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
  'sec-ch-ua-model',
] as const

/** Browsers add a fake brand ("Not-A.Brand", "Not)A;Brand", …) so sniffers don't ossify. */
const GREASE = /not.?a.?brand/i

/** Brand names as ua-parser-js 1.0 spells the same browsers, so both sources group together. */
const BRAND_NAMES: Record<string, string> = {
  'Google Chrome': 'Chrome',
  'Microsoft Edge': 'Edge',
  'Opera GX': 'Opera GX',
  Yandex: 'Yandex',
  'Samsung Internet': 'Samsung Internet',
}

function pickBrand(header: string | null | undefined): { brand: string; version?: string } | undefined {
  let fallback: { brand: string; version?: string } | undefined
  for (const item of parseList(header)) {
    if (typeof item.value !== 'string' || GREASE.test(item.value)) continue
    const version = typeof item.params.v === 'string' ? item.params.v : undefined
    const entry = { brand: BRAND_NAMES[item.value] ?? item.value, ...(version ? { version } : {}) }
    // Every Chromium-based browser lists "Chromium"; the vendor's own brand says more.
    if (item.value === 'Chromium') fallback ??= entry
    else return entry
  }
  return fallback
}

/** Reads the UA-CH request headers; absent or unreadable headers are simply not there. */
export function readClientHints(headers: HeaderGetter | undefined): ClientHints {
  if (!headers) return {}
  const out: ClientHints = {}
  const full = pickBrand(headers.get('sec-ch-ua-full-version-list'))
  const major = pickBrand(headers.get('sec-ch-ua'))
  const brand = full ?? major
  if (brand) {
    out.brand = brand.brand
    if (brand.version) out.brandVersion = brand.version
  }
  const mobile = parseBoolean(headers.get('sec-ch-ua-mobile'))
  if (mobile !== undefined) out.mobile = mobile
  const platform = parseString(headers.get('sec-ch-ua-platform'))
  if (platform && platform !== 'Unknown') out.platform = platform
  const platformVersion = parseString(headers.get('sec-ch-ua-platform-version'))
  if (platformVersion) out.platformVersion = platformVersion
  const model = parseString(headers.get('sec-ch-ua-model'))
  if (model) out.model = model
  return out
}

/** Major version of the brand Sec-CH-UA claims (for the bot check that UA and hints agree). */
export function clientHintsMajor(headers: HeaderGetter | undefined): number | undefined {
  const brand = pickBrand(headers?.get('sec-ch-ua'))
  const major = Number.parseInt(brand?.version ?? '', 10)
  return Number.isFinite(major) ? major : undefined
}

/**
 * Windows reports "NT 10.0" for both 10 and 11 in the UA string; the platform-version hint
 * tells them apart (13+ is Windows 11, 1–10 is Windows 10, 0.x are 7/8/8.1).
 */
export function windowsVersion(platformVersion: string): string | undefined {
  const [majorText, minorText] = platformVersion.split('.')
  const major = Number(majorText)
  const minor = Number(minorText)
  if (!Number.isFinite(major)) return undefined
  if (major >= 13) return '11'
  if (major > 0) return '10'
  return minor === 1 ? '7' : minor === 2 ? '8' : minor === 3 ? '8.1' : undefined
}
