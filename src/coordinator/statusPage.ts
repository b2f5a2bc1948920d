// The status page at `/`: server-rendered HTML (readable without JavaScript) plus a little script that polls
// /api/v1/stats every 2 s and redraws the numbers. Everything from the network is escaped (node names are
// chosen by strangers). Amounts read in the coin's units, formatted by the same function on both sides.
import { formatNative } from '../payments/units.ts'

export type StatusSnapshot = {
  nodes: number
  jobsPerSecond: number
  tokensPerSecond: number
  failuresPerMinute: number
  models: { id: string; nodes: number; freeSlots: number; minPrice: { input: string; output: string } }[]
  top: {
    npub: string
    name: string | null
    region: string | null
    models: string[]
    price: { input: string; output: string }
    slots: { free: number; total: number } | null
    stats: { jobs: number; successRate: number | null; avgTtftMs: number | null; avgTps: number | null }
  }[]
  relays: { url: string; connected: boolean }[]
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!)

function fmtRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2)
}

function pct(x: number | null): string {
  return x === null ? '–' : `${(x * 100).toFixed(1)}%`
}

function modelRows(s: StatusSnapshot): string[][] {
  return s.models.map((m) => [m.id, String(m.nodes), String(m.freeSlots), formatNative(m.minPrice.input), formatNative(m.minPrice.output)])
}

function nodeRows(s: StatusSnapshot): string[][] {
  return s.top.map((n) => [
    n.name ?? n.npub.slice(0, 16) + '…',
    n.region ?? '–',
    n.models.join(', '),
    formatNative(n.price.input),
    formatNative(n.price.output),
    n.slots ? `${n.slots.free}/${n.slots.total}` : '–',
    String(n.stats.jobs),
    pct(n.stats.successRate),
    n.stats.avgTtftMs === null ? '–' : `${n.stats.avgTtftMs} ms`,
    n.stats.avgTps === null ? '–' : String(n.stats.avgTps),
  ])
}

const table = (id: string, head: string[], rows: string[][]) =>
  `<table id="${id}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`

const script = `
${formatNative.toString()}
const fmt = (x) => x >= 100 ? x.toFixed(0) : x.toFixed(2);
const pct = (x) => x === null ? '–' : (x * 100).toFixed(1) + '%';
function fill(id, rows) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows.map((r) => { const tr = document.createElement('tr'); for (const c of r) { const td = document.createElement('td'); td.textContent = c; tr.append(td) } return tr }));
}
async function tick() {
  try {
    const s = await (await fetch('/api/v1/stats')).json();
    document.getElementById('nodes').textContent = s.nodes;
    document.getElementById('models').textContent = s.models.length;
    document.getElementById('jps').textContent = fmt(s.jobsPerSecond);
    document.getElementById('tps').textContent = fmt(s.tokensPerSecond);
    document.getElementById('fails').textContent = s.failuresPerMinute;
    document.getElementById('relays').textContent = s.relays.filter((r) => r.connected).length + '/' + s.relays.length;
    fill('model-table', s.models.map((m) => [m.id, String(m.nodes), String(m.freeSlots), formatNative(m.minPrice.input), formatNative(m.minPrice.output)]));
    fill('node-table', s.top.map((n) => [n.name ?? n.npub.slice(0, 16) + '…', n.region ?? '–', n.models.join(', '), formatNative(n.price.input), formatNative(n.price.output),
      n.slots ? n.slots.free + '/' + n.slots.total : '–', String(n.stats.jobs), pct(n.stats.successRate),
      n.stats.avgTtftMs === null ? '–' : n.stats.avgTtftMs + ' ms', n.stats.avgTps === null ? '–' : String(n.stats.avgTps)]));
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  } catch (e) { document.getElementById('updated').textContent = 'offline'; }
}
setInterval(tick, 2000);
`

export function renderStatusPage(s: StatusSnapshot): string {
  const connected = s.relays.filter((r) => r.connected).length
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Infernet coordinator</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:24px;color:#111;background:#fafafa}
h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:24px 0 8px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:120px}
.tile b{display:block;font-size:26px}.tile span{color:#555;font-size:13px}
table{border-collapse:collapse;background:#fff;min-width:600px}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left}th{background:#f0f0f0}
small{color:#666}
</style></head><body>
<h1>Infernet coordinator</h1>
<div class="tiles">
<div class="tile"><b id="nodes">${s.nodes}</b><span>live nodes</span></div>
<div class="tile"><b id="models">${s.models.length}</b><span>models</span></div>
<div class="tile"><b id="jps">${fmtRate(s.jobsPerSecond)}</b><span>jobs/s</span></div>
<div class="tile"><b id="tps">${fmtRate(s.tokensPerSecond)}</b><span>tokens/s</span></div>
<div class="tile"><b id="fails">${s.failuresPerMinute}</b><span>failures/min</span></div>
<div class="tile"><b id="relays">${connected}/${s.relays.length}</b><span>relays</span></div>
</div>
<h2>Models</h2>
${table('model-table', ['Model', 'Nodes', 'Free slots', 'Min price in /M', 'Min price out /M'], modelRows(s))}
<h2>Nodes</h2>
${table('node-table', ['Node', 'Region', 'Models', 'Price in /M', 'Price out /M', 'Slots', 'Jobs', 'Success', 'TTFT', 'Tokens/s'], nodeRows(s))}
<p><small>Prices are per million tokens (the API gives them in base units, wei). Updated <span id="updated">now</span>. API: <a href="/api/v1/nodes">/api/v1/nodes</a>, <a href="/api/v1/models">/api/v1/models</a>, <a href="/metrics">/metrics</a>.</small></p>
<script>${script}</script>
</body></html>`
}
