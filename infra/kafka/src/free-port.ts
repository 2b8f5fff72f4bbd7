import { createServer } from 'node:net'

/**
 * A port that was free a moment ago. Racy by nature (another process may take it before the
 * caller binds), which is acceptable for local services and tests; prefer listening on 0
 * directly where the service allows it (the broker does not: its config names its ports).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close((err) => (err ? reject(err) : resolve(port)))
    })
  })
}
