import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Stands in for Cloudflare's network in front of the local edge: forwards every request
 * unchanged but adds the visitor address, as a trusted reverse proxy does (`X-Real-IP` plus
 * the install's proxy secret; the embedded edge believes no client IP header without it).
 * The browser in the e2e runs on 127.0.0.1, which no geo database places; this is the one
 * truly external piece, so it is the one we fake.
 */
export async function startCloudflareFront(
  edgeUrl: string,
  visitorIp: string,
  proxySecret: string,
): Promise<{ url: string; server: Server }> {
  const edge = new URL(edgeUrl)
  const server = createServer((incoming, outgoing) => {
    const upstream = request(
      {
        host: edge.hostname,
        port: edge.port,
        method: incoming.method,
        path: incoming.url,
        headers: {
          ...incoming.headers,
          host: edge.host,
          'x-real-ip': visitorIp,
          'x-sightline-proxy-secret': proxySecret,
        },
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(outgoing)
      },
    )
    upstream.on('error', () => outgoing.writeHead(502).end())
    incoming.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}
