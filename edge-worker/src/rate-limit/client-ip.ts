/**
 * The client's address as the limiter counts it: an IPv4 address as is, an IPv6 client per
 * /64 (one subscriber usually owns a whole /64 and can rotate through it freely). Which
 * header the address comes from, and whether to believe it, is ../client-ip.ts's decision.
 */
export function limiterIpKey(ip: string): string {
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
