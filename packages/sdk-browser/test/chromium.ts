import { CHROMIUM_ARGS, chromiumPath } from '@sightline/testing'
import { type Browser, chromium, type Page } from 'playwright-core'

/**
 * A real headless Chromium (Debian's, found by the shared chromiumPath()). A missing browser
 * fails the test with that helper's one clear line, in CI and locally alike, never a skip.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--headless', ...CHROMIUM_ARGS] })
}

/**
 * Opens a page that loads the tracker and waits until `window.sightline` exists. The snippet
 * sets it synchronously when it runs, so once `load` has fired it is there unless the script
 * failed to load or threw; waiting longer cannot help then. What the page saw (failed requests,
 * error responses, page errors, console errors) is collected so a failure says why instead of
 * a bare timeout. One exception is retried: the tracker request failing at the network level
 * (the local edge dropping a connection under load, which a visitor's browser would meet on the
 * next page view) gets one reload; an error status, a throwing script or a second failure fails.
 */
export async function openWithTracker(tab: Page, url: string, timeoutMs = 15_000): Promise<void> {
  const seen: string[] = []
  let trackerDropped = false
  tab.on('requestfailed', (r) => {
    if (new URL(r.url()).pathname === '/s.js') trackerDropped = true
    seen.push(`request failed: ${r.url()} (${r.failure()?.errorText})`)
  })
  tab.on('response', (r) => {
    if (r.status() >= 400) seen.push(`response ${r.status()}: ${r.url()}`)
  })
  tab.on('pageerror', (e) => seen.push(`page error: ${e.message}`))
  tab.on('console', (m) => {
    if (m.type() === 'error') seen.push(`console error: ${m.text()}`)
  })
  await tab.goto(url)
  if (trackerDropped && !(await tab.evaluate(() => 'sightline' in window))) await tab.reload()
  try {
    await tab.waitForFunction(() => 'sightline' in window, undefined, { timeout: timeoutMs })
  } catch (error) {
    const what = seen.length > 0 ? seen.join('; ') : 'no failed request, error response or page error'
    throw new Error(`the tracker did not start on ${url}: ${what}`, { cause: error })
  }
}
