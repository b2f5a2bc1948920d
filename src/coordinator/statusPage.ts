// The status page at `/`: server-rendered HTML (readable without JavaScript) plus a little script that polls
// /api/v1/stats every 2 s and /api/v1/stats/history every 10 s and redraws. The rows and charts come from
// statusView.ts and statusChart.ts, whose source the page ships, so a redraw shows what the server rendered.
// Amounts read in the coin's units (formatNative). No external asset: styles, script and SVG are all inline.
import { formatNative } from '../payments/units.ts'
import { chartHtml, chartsHtml, historySeries } from './statusChart.ts'
import {
  auditsHtml,
  backendHtml,
  digestHtml,
  escapeHtml,
  fmtRate,
  modelHead,
  modelRows,
  nodeHead,
  nodeRows,
  pct,
  rowsHtml,
  type StatusHistory,
  type StatusSnapshot,
} from './statusView.ts'

export type { StatusHistory, StatusSnapshot } from './statusView.ts'

/** Every function the page's script calls, shipped as source. */
const shipped = [formatNative, escapeHtml, fmtRate, pct, backendHtml, digestHtml, auditsHtml, modelRows, nodeRows, rowsHtml, historySeries, chartHtml, chartsHtml]

const table = (id: string, head: readonly string[], rows: string[][]) =>
  `<div class="scroll"><table id="${id}"><thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rowsHtml(head, rows)}</tbody></table></div>`

const script = `
// tsx compiles with esbuild's keepNames, which may wrap functions in __name(); the shipped sources need it defined.
const __name = (fn) => fn;
${shipped.map((f) => f.toString()).join('\n')}
const modelHead = ${JSON.stringify(modelHead)};
const nodeHead = ${JSON.stringify(nodeHead)};
const text = (id, value) => { document.getElementById(id).textContent = value };
// Redraws replace only what changed, and a digest someone opened (to read or copy it) stays open.
const drawn = {};
const put = (selector, html) => {
  if (drawn[selector] === html) return;
  drawn[selector] = html;
  const el = document.querySelector(selector);
  const open = new Set([...el.querySelectorAll('details[open] summary')].map((s) => s.title));
  el.innerHTML = html;
  for (const s of el.querySelectorAll('details summary')) if (open.has(s.title)) s.parentElement.open = true;
};
async function tick(n) {
  try {
    const s = await (await fetch('/api/v1/stats')).json();
    text('nodes', s.nodes);
    text('models', s.models.length);
    text('jps', fmtRate(s.jobsPerSecond));
    text('tps', fmtRate(s.tokensPerSecond));
    text('fails', s.failuresPerMinute);
    text('relays', s.relays.filter((r) => r.connected).length + '/' + s.relays.length);
    put('#model-table tbody', rowsHtml(modelHead, modelRows(s)));
    put('#node-table tbody', rowsHtml(nodeHead, nodeRows(s)));
    if (n % 5 === 0) put('#charts', chartsHtml(await (await fetch('/api/v1/stats/history?window=3600')).json()));
    text('updated', new Date().toLocaleTimeString());
  } catch (e) { text('updated', 'offline'); }
}
let ticks = 0;
setInterval(() => tick(++ticks), 2000);
`

const style = `
*{box-sizing:border-box}
body{font:15px/1.4 system-ui,sans-serif;margin:24px;color:#111;background:#fafafa}
h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:24px 0 8px}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{background:#fff;border:1px solid #ddd;border-radius:8px;padding:10px 16px;min-width:120px}
.tile b{display:block;font-size:26px}.tile span{color:#555;font-size:13px}
#charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:12px}
.chart{margin:0;background:#fff;border:1px solid #ddd;border-radius:8px;padding:8px 12px}
.chart figcaption span{color:#555;font-size:13px}.chart svg{display:block;width:100%;height:80px;margin:6px 0 2px}
.chart line{stroke:#bbb;stroke-width:1;vector-effect:non-scaling-stroke}.chart .bar{fill:#2f6fd6}#chart-failures .bar{fill:#c8372d}
.axis{display:flex;justify-content:space-between;color:#777;font-size:12px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}th{background:#f0f0f0}
.backend.demo{background:#fff3cd;border:1px solid #e0c060;border-radius:4px;padding:0 4px;white-space:nowrap}
b.fail{color:#b00020}
.digest summary{cursor:pointer;list-style:none}.digest summary::-webkit-details-marker{display:none}
.digest .full{display:block;word-break:break-all;user-select:all;font-size:12px;max-width:36em}
.muted,small{color:#666}
@media (max-width:600px){
  body{margin:12px}.tile{min-width:0;flex:1 1 40%}
  table,tbody,tr,td{display:block;width:100%}thead{display:none}
  tr{border:1px solid #ddd;border-radius:8px;margin-bottom:10px;background:#fff}
  td{border:0;border-bottom:1px solid #eee;display:flex;gap:12px;justify-content:space-between;overflow-wrap:anywhere}
  td::before{content:attr(data-label);font-weight:600;color:#444;flex:none}
  td>*{min-width:0;text-align:right}
}
`

export function renderStatusPage(s: StatusSnapshot, history: StatusHistory): string {
  const connected = s.relays.filter((r) => r.connected).length
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Infernet coordinator</title>
<style>${style}</style></head><body>
<h1>Infernet coordinator</h1>
<div class="tiles">
<div class="tile"><b id="nodes">${s.nodes}</b><span>live nodes</span></div>
<div class="tile"><b id="models">${s.models.length}</b><span>models</span></div>
<div class="tile"><b id="jps">${fmtRate(s.jobsPerSecond)}</b><span>jobs/s</span></div>
<div class="tile"><b id="tps">${fmtRate(s.tokensPerSecond)}</b><span>tokens/s</span></div>
<div class="tile"><b id="fails">${s.failuresPerMinute}</b><span>failures/min</span></div>
<div class="tile"><b id="relays">${connected}/${s.relays.length}</b><span>relays</span></div>
</div>
<h2>Last hour</h2>
<div id="charts">${chartsHtml(history)}</div>
<h2>Models</h2>
${table('model-table', modelHead, modelRows(s))}
<h2>Nodes</h2>
${table('node-table', nodeHead, nodeRows(s))}
<p><small>Tiles count the last minute; charts one bar per minute, from this coordinator's index. Prices are per million tokens (the API gives them in base units, wei). A digest names the weights a node says it serves, and the backend is what it says it runs: claims, until audits check them. Updated <span id="updated">now</span>. API: <a href="/api/v1/nodes">/api/v1/nodes</a>, <a href="/api/v1/models">/api/v1/models</a>, <a href="/api/v1/stats/history">/api/v1/stats/history</a>, <a href="/metrics">/metrics</a>.</small></p>
<script>${script}</script>
</body></html>`
}
