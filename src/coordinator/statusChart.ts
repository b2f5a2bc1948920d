// The status page's charts: one bar per minute of GET /api/v1/stats/history, as inline SVG (no chart library, no
// external asset). Drawn by the same functions on the server and in the browser (the page ships their source, so
// like statusView.ts they are self-contained declarations without named inner functions).
import type { StatusHistory } from './statusView.ts'
import { fmtRate } from './statusView.ts'

export type ChartSeries = { id: string; label: string; values: number[] }

/** The three series the page charts: jobs/s and tokens/s averaged over each minute, failures counted per minute. */
export function historySeries(h: StatusHistory): ChartSeries[] {
  return [
    { id: 'chart-jobs', label: 'jobs/s', values: h.buckets.map((b) => b.jobs / h.bucketSeconds) },
    { id: 'chart-tokens', label: 'tokens/s', values: h.buckets.map((b) => b.tokens / h.bucketSeconds) },
    { id: 'chart-failures', label: 'failures/min', values: h.buckets.map((b) => (b.failures * 60) / h.bucketSeconds) },
  ]
}

/**
 * A bar chart scaled to its own peak: bars 10 units apart in a viewBox stretched to the figure's width, so it fits
 * a phone and a desktop alike. Empty minutes draw no bar; a hover title names each bar's minute and value.
 */
export function chartHtml(c: ChartSeries, bucketSeconds: number): string {
  const n = Math.max(1, c.values.length)
  const peak = Math.max(0, ...c.values)
  const bars = c.values
    .map((v, i) => {
      if (!(v > 0)) return ''
      const h = Math.max(1.5, (v / peak) * 58)
      const ago = Math.round(((n - 1 - i) * bucketSeconds) / 60)
      return `<rect class="bar" x="${i * 10 + 1}" y="${(60 - h).toFixed(2)}" width="8" height="${h.toFixed(2)}" data-v="${v}"><title>${ago} min ago: ${fmtRate(v)} ${c.label}</title></rect>`
    })
    .join('')
  const minutes = Math.round((n * bucketSeconds) / 60)
  return (
    `<figure class="chart"><figcaption><b>${c.label}</b> <span>peak ${fmtRate(peak)}, this minute ${fmtRate(c.values[n - 1] ?? 0)}</span></figcaption>` +
    `<svg id="${c.id}" viewBox="0 0 ${n * 10} 60" preserveAspectRatio="none" role="img" aria-label="${c.label} per minute, last ${minutes} minutes">` +
    `<line x1="0" y1="59.5" x2="${n * 10}" y2="59.5"></line>${bars}</svg>` +
    `<div class="axis"><span>${minutes} min ago</span><span>now</span></div></figure>`
  )
}

export function chartsHtml(h: StatusHistory): string {
  return historySeries(h)
    .map((c) => chartHtml(c, h.bucketSeconds))
    .join('')
}
