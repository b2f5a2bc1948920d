// The status page's tables as HTML rows, built by the same functions on the server (the first render, readable
// without JavaScript) and in the browser (each redraw): the page ships their source (statusPage.ts), so both show
// the same text. Hence every function here is a self-contained declaration that calls only functions the page
// ships too (these, formatNative) and declares no named inner functions. Everything from the network is escaped:
// node names, models and backends are chosen by strangers.
import type { AuditResult } from './audits.ts'
import type { HistoryBucket } from './history.ts'
import { formatNative } from '../payments/units.ts'

export type StatusSnapshot = {
  nodes: number
  jobsPerSecond: number
  tokensPerSecond: number
  failuresPerMinute: number
  models: { id: string; nodes: number; freeSlots: number; minPrice: { input: string; output: string }; digests: string[] }[]
  top: {
    npub: string
    name: string | null
    region: string | null
    backend: string
    models: string[]
    price: { input: string; output: string }
    slots: { free: number; total: number } | null
    stats: { jobs: number; successRate: number | null; avgTtftMs: number | null; avgTps: number | null }
    audits: readonly AuditResult[]
  }[]
  relays: { url: string; connected: boolean }[]
}

export type StatusHistory = { window: number; bucketSeconds: number; buckets: HistoryBucket[] }

export const modelHead = ['Model', 'Digest', 'Nodes', 'Free slots', 'Min price in /M', 'Min price out /M']
export const nodeHead = ['Node', 'Backend', 'Region', 'Models', 'Price in /M', 'Price out /M', 'Slots', 'Jobs', 'Success', 'TTFT', 'Tokens/s', 'Audits']

export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch)
}

export function fmtRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2)
}

export function pct(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`
}

/** The demo backend (canned text, built into the node) says so wherever a backend is named: it is no model. */
export function backendHtml(backend: string): string {
  if (backend === 'demo') return '<span class="backend demo">demo (not a real model)</span>'
  return `<span class="backend">${escapeHtml(backend)}</span>`
}

/** `ollama:1a2b3c4d5e6f…`, the whole digest in its title and one tap away (selectable, for copying). */
export function digestHtml(digests: readonly string[]): string {
  if (digests.length === 0) return '—'
  return digests
    .map((d) => {
      const colon = d.indexOf(':')
      const short = d.slice(0, colon + 13) + (d.length > colon + 13 ? '…' : '')
      return `<details class="digest"><summary title="${escapeHtml(d)}"><code>${escapeHtml(short)}</code></summary><code class="full">${escapeHtml(d)}</code></details>`
    })
    .join('')
}

export function auditsHtml(audits: readonly AuditResult[]): string {
  if (audits.length === 0) return '<span class="muted">no audits yet</span>'
  // Untrusted auditors' verdicts are shown, marked, because they move no number (nips/reputation.md).
  return audits
    .map((a) => {
      const verdict = a.verdict === 'fail' ? '<b class="fail">fail</b>' : 'pass'
      const by = `${escapeHtml(String(a.auditor).slice(0, 8))}…${a.trusted ? '' : ' (untrusted)'}`
      return `${verdict} <small>${escapeHtml(a.model)} score ${escapeHtml(String(a.score))}, by ${by}</small>`
    })
    .join('<br>')
}

/** Rows of HTML cells for the models table (modelHead). */
export function modelRows(s: StatusSnapshot): string[][] {
  return s.models.map((m) => [
    escapeHtml(m.id),
    digestHtml(m.digests),
    String(m.nodes),
    String(m.freeSlots),
    escapeHtml(formatNative(m.minPrice.input)),
    escapeHtml(formatNative(m.minPrice.output)),
  ])
}

/** Rows of HTML cells for the nodes table (nodeHead). */
export function nodeRows(s: StatusSnapshot): string[][] {
  return s.top.map((n) => [
    escapeHtml(n.name ?? n.npub.slice(0, 16) + '…'),
    backendHtml(n.backend),
    escapeHtml(n.region ?? '–'),
    escapeHtml(n.models.join(', ')),
    escapeHtml(formatNative(n.price.input)),
    escapeHtml(formatNative(n.price.output)),
    n.slots ? `${n.slots.free}/${n.slots.total}` : '–',
    String(n.stats.jobs),
    pct(n.stats.successRate),
    n.stats.avgTtftMs === null ? '–' : `${n.stats.avgTtftMs} ms`,
    n.stats.avgTps === null ? '–' : String(n.stats.avgTps),
    auditsHtml(n.audits),
  ])
}

/** A tbody's rows; each cell carries its column name, which phones show beside the value (tables become cards). */
export function rowsHtml(head: readonly string[], rows: string[][]): string {
  return rows.map((r) => `<tr>${r.map((c, i) => `<td data-label="${escapeHtml(head[i] ?? '')}">${c}</td>`).join('')}</tr>`).join('')
}
