import { request } from 'node:http'
import { connect } from 'node:net'

/**
 * Streams a POST body (chunked unless `headers` declare a length) of up to `maxBytes` as
 * fast as the server takes it, and stops writing as soon as the answer arrives. Returns the status and how much was sent by then.
 */
export function chunkedFlood(
  url: string,
  maxBytes: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: string; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    let answered = false
    // A declared length (a lie, usually) replaces chunked framing.
    const framing = 'content-length' in headers ? {} : { 'transfer-encoding': 'chunked' }
    const req = request(url, { method: 'POST', headers: { ...framing, ...headers } })
    req.on('response', (res) => {
      answered = true
      const sentBytes = sent
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => {
        req.destroy()
        const headers = new Headers()
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === 'string') headers.set(name, value)
        resolve({ status: res.statusCode ?? 0, headers, body, sentBytes })
      })
    })
    req.on('error', (err) => {
      // The server may cut the socket right after answering; only an unanswered error fails.
      if (!answered) reject(err)
    })
    const pump = () => {
      while (!answered && sent < maxBytes) {
        sent += chunk.byteLength
        if (!req.write(chunk)) return void req.once('drain', pump)
      }
      if (!answered) req.end()
    }
    pump()
  })
}

/**
 * A client that sends a request line and then one header byte every `everyMs`, never
 * finishing: resolves with how long the server kept the connection open.
 */
export function slowHeaders(port: number, everyMs = 200, giveUpMs = 30_000): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ')
    })
    const drip = setInterval(() => socket.write('a'), everyMs)
    const done = () => {
      clearInterval(drip)
      clearTimeout(limit)
      socket.destroy()
      resolve(Date.now() - started)
    }
    const limit = setTimeout(done, giveUpMs)
    socket.on('close', done)
    socket.on('error', () => {})
  })
}
