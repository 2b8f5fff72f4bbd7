/**
 * Kafka's default partitioner for keyed records: murmur2 of the key bytes (seed 0x9747b28c),
 * sign bit cleared, modulo the partition count. The same function as the Java client's, so a
 * key lands on the same partition whichever client (or language) produced it.
 */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995
  const length = data.length
  let h = (0x9747b28c ^ length) | 0
  const tail = length & ~3
  for (let i = 0; i < tail; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur2 folds the tail bytes in by falling through
    case 3:
      h ^= data[tail + 2]! << 16
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: see above
    case 2:
      h ^= data[tail + 1]! << 8
    case 1:
      h ^= data[tail]!
      h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h
}

const encoder = new TextEncoder()

export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitions
}
