import { createServer } from 'node:net'

/** True when nothing listens on host:port (we bind and release it). */
export function isPortFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, host, () => server.close(() => resolve(true)))
  })
}

// One implementation of "a free port" for the repository: the local broker's.
export { freePort } from '@sightline/kafka-local'

/** Polls until `url` answers at all (any status), or fails after `timeoutMs`. */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError = ''
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`process serving ${url} exited before it was ready`)
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) })
      return
    } catch (err) {
      lastError = String(err)
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms (${lastError})`)
}
