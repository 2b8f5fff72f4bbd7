// How numbers read on the page: the viewer's locale, whole numbers for counts.
const counts = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 })

export function count(n: number): string {
  return counts.format(n)
}

export function percent(rate: number): string {
  return `${Math.round(rate * 100)}%`
}

export function duration(seconds: number): string {
  const s = Math.round(seconds)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`
}

/** Change against the previous period, or undefined when there is nothing to compare with. */
export function change(now: number, before: number): number | undefined {
  if (before === 0) return undefined
  return (now - before) / before
}

/** A past span, coarse: "4 s", "12 min", "3 h", "2 days" (clock skew below zero reads 0 s). */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86_400)} days`
}

/**
 * A measured pipeline lag: "214 ms", "3.4 s", then as `ago`. Not clamped at zero: a negative
 * canary lag is the bridge's and writer's clocks disagreeing, which is worth seeing.
 */
export function lag(ms: number): string {
  if (ms < 0) return `-${lag(-ms)}`
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`
  return ago(ms)
}
