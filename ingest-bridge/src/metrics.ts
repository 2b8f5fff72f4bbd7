import { Counter, collectDefaultMetrics, Registry } from 'prom-client'

export interface CountersOptions {
  /**
   * Node process metrics (CPU, memory, event-loop lag, GC) in the same exposition. Once per
   * process: the standalone bridge turns it on; the embedded hub leaves it to its query
   * service, which already exports them.
   */
  processMetrics?: boolean
}

/**
 * The bridge's counters, exposed by prom-client. A counter is created on first use with the
 * label names of that use; a later use with other names is a bug and throws, so a series can
 * never silently split. The values are also kept here for synchronous reads (readiness,
 * tests), since prom-client reads its values asynchronously.
 */
export class Counters {
  readonly #registry = new Registry()
  readonly #counters = new Map<string, { counter: Counter<string>; labelNames: string }>()
  readonly #values = new Map<string, number>()
  readonly #help = new Map<string, string>()

  constructor(options: CountersOptions = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.#registry })
  }

  describe(name: string, help: string): void {
    this.#help.set(name, help)
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const labelNames = Object.keys(labels).sort()
    let entry = this.#counters.get(name)
    if (entry === undefined) {
      const counter = new Counter({
        name,
        help: this.#help.get(name) ?? name,
        labelNames,
        registers: [this.#registry],
      })
      entry = { counter, labelNames: labelNames.join(',') }
      this.#counters.set(name, entry)
    } else if (entry.labelNames !== labelNames.join(',')) {
      throw new Error(`counter ${name} has labels [${entry.labelNames}], not [${labelNames.join(',')}]`)
    }
    entry.counter.inc(labels, by)
    const key = seriesKey(name, labels)
    this.#values.set(key, (this.#values.get(key) ?? 0) + by)
  }

  get(name: string, labels: Record<string, string> = {}): number {
    return this.#values.get(seriesKey(name, labels)) ?? 0
  }

  /** Sum over every label set of a counter. */
  total(name: string): number {
    let sum = 0
    for (const [key, value] of this.#values) if (key === name || key.startsWith(`${name}{`)) sum += value
    return sum
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.#registry.metrics()
  }

  get contentType(): string {
    return this.#registry.contentType
  }
}

/** One key per series, labels in name order so the caller's order does not matter. */
function seriesKey(name: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return name
  return `${name}{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`
}
