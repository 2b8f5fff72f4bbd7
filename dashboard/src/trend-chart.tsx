import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'
import type { Interval } from './ranges.ts'
import { useThemeChange } from './theme.tsx'

const H = 3600
const D = 24 * H
/** Tick steps per bucket size: whole buckets only (no "Nov 26" three times a day). */
const TICKS: Record<Interval, number[]> = {
  hour: [H, 2 * H, 3 * H, 6 * H, 12 * H],
  day: [D, 2 * D, 7 * D, 14 * D],
  week: [7 * D, 14 * D, 28 * D],
  month: [28 * D, 91 * D, 365 * D],
}

interface Props {
  buckets: { bucket: string; visitors: number; count: number }[]
  interval: Interval
  label: string
  /** What the buckets' values add up to, for the accessible label. */
  unit?: string
  /** The zone the axis reads in (the site's): an hour bucket at local midnight reads 00:00. */
  tz: string
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim()
}

/** Visitors per bucket as a uPlot line; resizes with its box and follows the theme. */
export function TrendChart({ buckets, interval, label, unit = 'visitor-buckets', tz }: Props) {
  const box = useRef<HTMLDivElement>(null)
  const theme = useThemeChange()
  useEffect(() => {
    const el = box.current
    if (!el) return
    const xs = buckets.map((b) => Date.parse(b.bucket) / 1000)
    const ys = buckets.map((b) => b.visitors)
    const axis = { stroke: cssVar('--muted'), grid: { stroke: cssVar('--grid') }, ticks: { show: false } }
    const plot = new uPlot(
      {
        width: el.clientWidth || 600,
        height: 220,
        legend: { show: false },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), tz),
        cursor: { drag: { x: false, y: false } },
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [
          { ...axis, values: interval === 'hour' ? '{HH}:{mm}' : '{MMM} {D}', incrs: TICKS[interval] },
          { ...axis, size: 50 },
        ],
        series: [
          {},
          {
            label: 'Visitors',
            stroke: cssVar('--accent'),
            fill: cssVar('--accent-fill'),
            width: 2,
            points: { show: buckets.length < 40 },
          },
        ],
      },
      [xs, ys],
      el,
    )
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 220 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
    // `theme`: the colours are read from CSS when the chart is drawn, so a theme change redraws.
  }, [buckets, interval, tz, theme])
  const total = buckets.reduce((n, b) => n + b.visitors, 0)
  return (
    <figure class="chart">
      <div
        ref={box}
        role="img"
        aria-label={`${label}: ${buckets.length} ${interval} buckets, ${total} ${unit} in all`}
      />
      <figcaption class="sr-only">{label}</figcaption>
    </figure>
  )
}
