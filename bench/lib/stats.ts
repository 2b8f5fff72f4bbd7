export interface Summary {
  median: number
  min: number
  max: number
  /** (max − min) / median, as a share: how noisy the runs were. */
  spread: number
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  const min = sorted[0] ?? 0
  const max = sorted.at(-1) ?? 0
  return { median, min, max, spread: median > 0 ? (max - min) / median : 0 }
}

export const rate = (events: number, ms: number): number => (ms > 0 ? Math.round((events * 1000) / ms) : 0)
export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
export const pct = (share: number): string => `${(share * 100).toFixed(1)}%`
