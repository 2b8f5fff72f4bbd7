/**
 * Counters in Prometheus text format. Small on purpose: the bridge needs a handful of
 * counters with a few labels, and every rejected or dropped event must be countable.
 */
export class Counters {
  readonly #values = new Map<string, number>()
  readonly #help = new Map<string, string>()

  describe(name: string, help: string): void {
    this.#help.set(name, help)
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const key = `${name}${formatLabels(labels)}`
    this.#values.set(key, (this.#values.get(key) ?? 0) + by)
  }

  get(name: string, labels: Record<string, string> = {}): number {
    return this.#values.get(`${name}${formatLabels(labels)}`) ?? 0
  }

  /** Sum over every label set of a counter. */
  total(name: string): number {
    let sum = 0
    for (const [key, value] of this.#values) if (key === name || key.startsWith(`${name}{`)) sum += value
    return sum
  }

  render(): string {
    const lines: string[] = []
    const names = new Set([...this.#values.keys()].map((k) => k.split('{')[0]!))
    for (const name of [...names].sort()) {
      const help = this.#help.get(name)
      if (help) lines.push(`# HELP ${name} ${help}`)
      lines.push(`# TYPE ${name} counter`)
      for (const [key, value] of this.#values) if (key.split('{')[0] === name) lines.push(`${key} ${value}`)
    }
    return `${lines.join('\n')}\n`
  }
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels)
  if (entries.length === 0) return ''
  const escaped = entries.map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  )
  return `{${escaped.join(',')}}`
}
