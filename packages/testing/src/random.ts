/**
 * Seeded randomness for generated data. Math.random is never used: every test and benchmark
 * must be able to regenerate byte-identical input from a seed alone.
 */

export type Seed = number | string

/** Murmur3's finalizer: a bijection on 32-bit integers, so distinct inputs stay distinct. */
export function mix32(x: number): number {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** FNV-1a over the parts, then mixed: derives independent sub-seeds (per visitor, per stream). */
export function hashSeed(...parts: Seed[]): number {
  let h = 0x811c9dc5
  for (const part of parts) {
    const text = typeof part === 'number' ? `#${part}` : part
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i)
      h = Math.imul(h, 0x01000193)
    }
    h ^= 0xff // part separator, so ('ab','c') and ('a','bc') differ
    h = Math.imul(h, 0x01000193)
  }
  return mix32(h)
}

export interface WeightedTable<T> {
  readonly items: readonly T[]
  /** Running totals, so a draw is one scan with no per-draw allocation. */
  readonly cumulative: readonly number[]
  readonly total: number
}

export function weighted<T>(entries: ReadonlyArray<readonly [T, number]>): WeightedTable<T> {
  const items: T[] = []
  const cumulative: number[] = []
  let total = 0
  for (const [item, weight] of entries) {
    if (!(weight > 0)) continue
    total += weight
    items.push(item)
    cumulative.push(total)
  }
  if (items.length === 0) throw new RangeError('a weighted table needs at least one positive weight')
  return { items, cumulative, total }
}

const HEX = '0123456789abcdef'
// Two hex digits per table hit: ids are built per event, so this is on the hot path.
const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/**
 * sfc32: small, fast, passes PractRand far beyond what test data needs, and unlike
 * mulberry32 its 128-bit state does not cycle within a 100M-event benchmark.
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: Seed) {
    // splitmix32 spreads a possibly tiny seed (0, 1, 2…) over the whole state.
    let s = typeof seed === 'number' ? seed >>> 0 : hashSeed(seed)
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      return mix32(s)
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.uint32()
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) >>> 0
    return t
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Uniform integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  pickWeighted<T>(table: WeightedTable<T>): T {
    const x = this.next() * table.total
    const { cumulative, items } = table
    for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]!) return items[i]!
    return items[items.length - 1]!
  }

  /** Number of failures before a success; models "how many more pages" style counts. */
  geometric(mean: number): number {
    if (mean <= 0) return 0
    const p = 1 / (mean + 1)
    return Math.floor(Math.log(1 - this.next()) / Math.log(1 - p))
  }

  /** Log-normal around a median: dwell times and gaps are long-tailed, not uniform. */
  logNormal(median: number, sigma: number): number {
    // Box–Muller; 1 - next() keeps the log argument away from 0.
    const u = 1 - this.next()
    const v = this.next()
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
    return median * Math.exp(sigma * z)
  }

  hex(chars: number): string {
    let out = ''
    let word = 0
    for (let i = 0; i < chars; i += 2) {
      if (i % 8 === 0) word = this.uint32()
      out += BYTE_HEX[word & 255]
      word >>>= 8
    }
    return chars % 2 === 0 ? out : out.slice(0, chars)
  }

  /**
   * A UUIDv4-shaped id whose last 8 hex digits are a bijection of `unique`, so ids are
   * guaranteed distinct within one namespace instead of merely unlikely to collide.
   */
  uuid(unique: number, namespace: number): string {
    const tail = mix32((unique ^ namespace) >>> 0)
      .toString(16)
      .padStart(8, '0')
    const variant = HEX[8 + (this.uint32() & 3)]
    return `${this.hex(8)}-${this.hex(4)}-4${this.hex(3)}-${variant}${this.hex(3)}-${this.hex(4)}${tail}`
  }
}
