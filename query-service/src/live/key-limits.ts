/** Per-read-key counts of open connections and subscriptions, in this process. */
export class KeyLimits {
  private readonly connections = new Map<string, number>()
  private readonly subscriptions = new Map<string, number>()

  constructor(private readonly max: { connections: number; subscriptions: number }) {}

  openConnection(key: string): boolean {
    return take(this.connections, key, this.max.connections)
  }

  closeConnection(key: string): void {
    give(this.connections, key)
  }

  addSubscription(key: string): boolean {
    return take(this.subscriptions, key, this.max.subscriptions)
  }

  removeSubscription(key: string): void {
    give(this.subscriptions, key)
  }
}

function take(counts: Map<string, number>, key: string, max: number): boolean {
  const n = counts.get(key) ?? 0
  if (n >= max) return false
  counts.set(key, n + 1)
  return true
}

function give(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1
  if (n <= 0) counts.delete(key)
  else counts.set(key, n)
}
