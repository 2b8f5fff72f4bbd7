import { CHROMIUM_ARGS, chromiumPath } from '@sightline/testing'
import { type Browser, chromium } from 'playwright-core'

/**
 * A real headless Chromium (Debian's, found by the shared chromiumPath()). A missing browser
 * fails the test with that helper's one clear line, in CI and locally alike, never a skip.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--headless', ...CHROMIUM_ARGS] })
}
