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
