import type { Browser, Page } from 'playwright-core'

export interface SeenRequest {
  method: string
  url: string
  /** 0: the request failed (network error, aborted at unload) before any answer. */
  status: number
  failure?: string
}

/** Waits until no request is in flight for `quietMs` (libraries send on timers). */
async function settle(inFlight: () => number, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs
  let quietSince = Date.now()
  while (Date.now() < deadline) {
    if (inFlight() > 0) quietSince = Date.now()
    else if (Date.now() - quietSince >= quietMs) return
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * One library page in its own browser context: load (pageview), track, identify, SPA
 * navigation, close — every request the page makes recorded with its answer. Returns the
 * library's anonymous id as read from the library itself.
 */
export async function driveLibrary(
  browser: Browser,
  url: string,
  options: { steps: readonly string[]; context?: Awaited<ReturnType<Browser['newContext']>> },
): Promise<{ requests: SeenRequest[]; anonymousId: string; console: string[] }> {
  const context = options.context ?? (await browser.newContext())
  const page: Page = await context.newPage()
  const requests: SeenRequest[] = []
  const consoleLines: string[] = []
  let pending = 0
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`))
  // Context-wide, so requests made while the page unloads (beacons) are still seen.
  const onRequest = () => pending++
  const onFinished = async (request: import('playwright-core').Request) => {
    pending--
    const response = await request.response().catch(() => null)
    requests.push({ method: request.method(), url: request.url(), status: response?.status() ?? 0 })
  }
  const onFailed = (request: import('playwright-core').Request) => {
    pending--
    requests.push({
      method: request.method(),
      url: request.url(),
      status: 0,
      failure: request.failure()?.errorText ?? 'failed',
    })
  }
  context.on('request', onRequest)
  context.on('requestfinished', onFinished)
  context.on('requestfailed', onFailed)
  await page.goto(url)
  await page
    .waitForFunction(() => typeof (window as unknown as { step?: unknown }).step === 'function', null, {
      timeout: 10_000,
    })
    .catch((err) => {
      throw new Error(`${url}: the page did not start (${err}):\n${consoleLines.join('\n')}`)
    })
  await settle(() => pending, 1_500, 15_000)
  const anonymousId = String(
    await page.evaluate(async () => (window as unknown as { anonymousId: () => unknown }).anonymousId()),
  )
  for (const step of options.steps) {
    await page.evaluate((name) => (window as unknown as { step: (n: string) => void }).step(name), step)
    await settle(() => pending, 1_500, 15_000)
  }
  // The page close: the browser runs pagehide/unload handlers and lets beacons and keepalive
  // requests outlive the page.
  await page.close({ runBeforeUnload: true })
  await settle(() => pending, 2_000, 15_000)
  context.off('request', onRequest)
  context.off('requestfinished', onFinished)
  context.off('requestfailed', onFailed)
  return { requests, anonymousId, console: consoleLines }
}
