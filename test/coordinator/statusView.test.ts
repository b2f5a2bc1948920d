// The status page's pieces as pure functions: cells (escaped, demo labelled, digests shortened, audits), and the
// charts' bars. The page in a browser is test/coordinator/statusPage.test.ts.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { chartHtml, historySeries } from '../../src/coordinator/statusChart.ts'
import { auditsHtml, backendHtml, digestHtml, rowsHtml } from '../../src/coordinator/statusView.ts'

describe('status page cells', () => {
  it('labels the demo backend as no model, and escapes any other backend a node names', () => {
    assert.match(backendHtml('demo'), />demo \(not a real model\)</)
    assert.equal(backendHtml('<img src=x onerror=alert(1)>'), '<span class="backend">&lt;img src=x onerror=alert(1)&gt;</span>')
  })

  it('shortens a digest to its scheme and 12 hex digits, keeps the whole one in reach, and shows — without one', () => {
    const d = `ollama:${'ab'.repeat(32)}`
    const html = digestHtml([d])
    assert.match(html, new RegExp(`<summary title="${d}"><code>ollama:${'ab'.repeat(6)}…</code></summary>`))
    assert.match(html, new RegExp(`<code class="full">${d}</code>`))
    assert.equal(digestHtml([]), '—')
    assert.equal(digestHtml([d, `sha256:${'cd'.repeat(32)}`]).match(/<details/g)?.length, 2, 'each digest a model goes by')
  })

  it('says "no audits yet" until a node has any, and escapes what an audit says', () => {
    assert.equal(auditsHtml([]), '<span class="muted">no audits yet</span>')
    const audit = { id: 'e'.repeat(64), auditor: 'f'.repeat(64), trusted: true, model: '<i>llama3</i>', digest: null, verdict: 'pass' as const, method: 'greedy-prefix', score: 0, threshold: 0.25, jobs: 1, at: 1 }
    assert.equal(auditsHtml([audit]), 'pass <small>&lt;i&gt;llama3&lt;/i&gt; score 0, by ffffffff…</small>')
    assert.equal(
      auditsHtml([{ ...audit, model: 'm', verdict: 'fail', score: 1, trusted: false, at: 2 }, audit]),
      '<b class="fail">fail</b> <small>m score 1, by ffffffff… (untrusted)</small><br>pass <small>&lt;i&gt;llama3&lt;/i&gt; score 0, by ffffffff…</small>',
    )
  })

  it('names each cell for its column (phones show it beside the value)', () => {
    assert.equal(rowsHtml(['A', 'B'], [['1', '<i>2</i>']]), '<tr><td data-label="A">1</td><td data-label="B"><i>2</i></td></tr>')
  })
})

describe('status page charts', () => {
  const history = {
    window: 240,
    bucketSeconds: 60,
    buckets: [
      { t: 0, jobs: 0, tokens: 0, failures: 0 },
      { t: 60, jobs: 6, tokens: 600, failures: 1 },
      { t: 120, jobs: 3, tokens: 60, failures: 0 },
      { t: 180, jobs: 0, tokens: 0, failures: 2 },
    ],
  }

  it('charts jobs/s and tokens/s as per-minute averages and failures per minute', () => {
    assert.deepEqual(
      historySeries(history).map((s) => [s.id, s.values]),
      [
        ['chart-jobs', [0, 0.1, 0.05, 0]],
        ['chart-tokens', [0, 10, 1, 0]],
        ['chart-failures', [0, 1, 0, 2]],
      ],
    )
  })

  it('draws one bar per minute with jobs, scaled to the peak, and none for an empty hour', () => {
    const jobs = historySeries(history)[0]!
    const html = chartHtml(jobs, 60)
    const bars = [...html.matchAll(/<rect class="bar" x="(\d+)" y="([\d.]+)" width="8" height="([\d.]+)" data-v="([\d.]+)">/g)].map((m) => m.slice(1).map(Number))
    assert.deepEqual(bars, [
      [11, 2, 58, 0.1],
      [21, 31, 29, 0.05],
    ])
    assert.match(html, /viewBox="0 0 40 60"/)
    assert.match(html, /peak 0\.10, this minute 0\.00/)
    assert.match(html, /4 min ago/)
    const empty = chartHtml({ ...jobs, values: [0, 0, 0] }, 60)
    assert.doesNotMatch(empty, /<rect/)
    assert.match(empty, /peak 0\.00/)
  })
})
