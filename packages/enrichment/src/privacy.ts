/**
 * IP handling that works the same in workerd and Node (WebCrypto only).
 *
 * Truncation keeps what geo needs (a /24 or /48 still locates a city) and drops what
 * identifies a household. Hashes are salted with a secret, daily-rotating value so they
 * cannot be reversed by enumerating the (small) IPv4 space.
 */

import { sha256Hex, toHex } from '@sightline/contracts'

const encoder = new TextEncoder()

function parseIpv4(ip: string): number[] | undefined {
  const parts = ip.split('.')
  if (parts.length !== 4) return undefined
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN))
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined
}

/** Eight 16-bit groups, or undefined; accepts `::` compression and a dotted IPv4 tail. */
function parseIpv6(ip: string): number[] | undefined {
  const zone = ip.indexOf('%')
  const text = zone >= 0 ? ip.slice(0, zone) : ip
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return []
    const out: number[] = []
    const pieces = part.split(':')
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece)
        if (!v4) return undefined
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!)
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16))
      else return undefined
    }
    return out
  }
  const head = toGroups(halves[0]!)
  const tail = halves.length === 2 ? toGroups(halves[1]!) : []
  if (!head || !tail) return undefined
  if (halves.length === 1) return head.length === 8 ? head : undefined
  const missing = 8 - head.length - tail.length
  return missing >= 1 ? [...head, ...new Array<number>(missing).fill(0), ...tail] : undefined
}

/** IPv4 → its /24 (`203.0.113.0`), IPv6 → its /48 (`2001:db8:1::`); undefined if not an IP. */
export function truncateIp(ip: string | null | undefined): string | undefined {
  if (typeof ip !== 'string') return undefined
  const trimmed = ip.trim()
  const v4 = parseIpv4(trimmed)
  if (v4) return `${v4[0]}.${v4[1]}.${v4[2]}.0`
  const v6 = parseIpv6(trimmed)
  if (!v6) return undefined
  // IPv4-mapped (::ffff:a.b.c.d) is an IPv4 client seen through a dual-stack socket.
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    return `${v6[6]! >> 8}.${v6[6]! & 0xff}.${v6[7]! >> 8}.0`
  }
  return `${v6
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::`
}

/** True for addresses that never locate a visitor (private, loopback, link-local, CGNAT, ULA). */
export function isPrivateIp(ip: string): boolean {
  const v4 = parseIpv4(ip.trim())
  if (v4) {
    const [a, b] = v4 as [number, number, number, number]
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    )
  }
  const v6 = parseIpv6(ip.trim())
  if (!v6) return false
  const first = v6[0]!
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    return isPrivateIp(`${v6[6]! >> 8}.${v6[6]! & 0xff}.${v6[7]! >> 8}.${v6[7]! & 0xff}`)
  }
  return (
    v6.every((g, i) => g === (i === 7 ? g : 0)) || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80
  )
}

/** `YYYY-MM-DD` in UTC: every isolate in every region agrees on where a day starts. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10)
}

/**
 * The salt for one UTC day, derived (HMAC-SHA256) from a long-lived secret and the date.
 * Every edge isolate computes the same value without shared storage, and because nothing
 * stores it, yesterday's ids cannot be recomputed from today's data once the day is over
 * (only a holder of the secret could, which is why the secret stays at the edge).
 */
export async function dailySalt(secret: string, nowMs: number): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = await crypto.subtle.sign('HMAC', key, encoder.encode(`sightline-visitor-salt:${utcDay(nowMs)}`))
  return toHex(mac)
}

/** A salted SHA-256 of an IP (hex); for joining on "same network" without keeping the address. */
export function hashIp(ip: string, salt: string): Promise<string> {
  return sha256Hex(`${salt}\u0000${ip}`)
}

export interface VisitorInput {
  salt: string
  siteId: string
  ip: string
  userAgent: string
}

/**
 * A visitor id without cookies: SHA-256 hex of the day's salt, site, IP and UA. Stable for
 * one visitor within a UTC day on one site, different across sites, and unlinkable to the
 * previous day's id once the salt rotates.
 */
export function cookielessVisitorId(input: VisitorInput): Promise<string> {
  return sha256Hex([input.salt, input.siteId, input.ip, input.userAgent].join('\u0000'))
}
