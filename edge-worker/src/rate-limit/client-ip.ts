/**
 * The client's address as the limiter counts it. On Cloudflare `cf-connecting-ip` is set by
 * the platform and cannot be forged; self-hosted, whatever proxy fronts workerd must set it
 * (and strip it from clients), or per-IP limits count the proxy. An IPv6 client is counted
 * per /64: one subscriber usually owns a whole /64 and can rotate through it freely.
 */
export function clientIpKey(headers: Headers): string | undefined {
  const ip = headers.get('cf-connecting-ip')?.trim()
  if (!ip) return undefined
  if (!ip.includes(':')) return ip
  const groups = expandIpv6(ip)
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : ip.toLowerCase()
}

/** Eight 16-bit groups, or undefined for anything that is not plain IPv6 text. */
function expandIpv6(ip: string): string[] | undefined {
  const parts = ip.toLowerCase().split('::')
  if (parts.length > 2) return undefined
  const head = parts[0] ? parts[0].split(':') : []
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : []
  const missing = 8 - head.length - tail.length
  if (parts.length === 1 ? missing !== 0 : missing < 1) return undefined
  const groups = [...head, ...Array<string>(parts.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined
  return groups.map((g) => g.replace(/^0+(?=.)/, ''))
}
