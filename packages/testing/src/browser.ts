import { existsSync } from 'node:fs'

/** Chromium flags for this closed network: no background connections, no sandbox as root. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const

/**
 * Where the browser tests find Chromium (Debian's package; playwright-core drives it and
 * downloads nothing). `npm test` installs it when it can; a run that still lacks it fails
 * with this one line rather than with a stack trace per test.
 */
export function chromiumPath(): string {
  const path = process.env.SIGHTLINE_CHROMIUM ?? '/usr/bin/chromium'
  if (!existsSync(path)) {
    throw new Error(
      `Chromium is missing at ${path}: install it (Debian: apt-get install chromium) or set SIGHTLINE_CHROMIUM`,
    )
  }
  return path
}
