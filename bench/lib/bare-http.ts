// The front-door baseline: a bare node:http server that does the least a receiver can do
// with each request kind (read the body, JSON.parse it; parse a pixel's query string) and
// answers as the edge does (200 JSON, 204 beacon, 200 GIF). Run as its own process.
import { createServer } from 'node:http'

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64')

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    const params = new URL(req.url ?? '/', 'http://x').searchParams
    if (!params.get('k')) return void res.writeHead(400).end()
    res.writeHead(200, { 'content-type': 'image/gif', 'cache-control': 'no-store' }).end(GIF)
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    if (typeof body !== 'object' || body === null) return void res.writeHead(400).end()
    if (req.url?.startsWith('/v1/b?')) return void res.writeHead(204).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}')
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
