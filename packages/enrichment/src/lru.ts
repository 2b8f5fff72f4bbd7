/**
 * A small least-recently-used cache on Map's insertion order. UA strings repeat heavily
 * (a site sees a few hundred distinct ones per hour), so a few thousand entries per
 * isolate take parsing off the hot path while staying a bounded amount of memory.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, V>()

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key)
    if (value === undefined) return undefined
    this.map.delete(key)
    this.map.set(key, value)
    return value
  }

  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next()
      if (!oldest.done) this.map.delete(oldest.value)
    }
  }

  get size(): number {
    return this.map.size
  }
}
