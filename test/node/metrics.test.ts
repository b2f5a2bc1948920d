import assert from 'node:assert/strict'
import { test } from 'node:test'
import { median, RollingMetrics } from '../../node/metrics.ts'

test('metrics: median TTFT and per-stream tokens/s over a rolling window', () => {
  const m = new RollingMetrics(3)
  assert.equal(m.ttftMs(), null)
  assert.equal(m.tps(), null)
  m.record({ ttftMs: 100, completionTokens: 101, durationMs: 1100 }) // 100 tokens in 1 s after the first
  m.record({ ttftMs: 50, completionTokens: 51, durationMs: 550 })
  m.record({ ttftMs: 10, completionTokens: 1, durationMs: 10 }) // one token: no rate
  assert.equal(m.ttftMs(), 50)
  assert.equal(m.tps(), 100)
  m.record({ ttftMs: 20, completionTokens: 21, durationMs: 220 })
  m.record({ ttftMs: 30, completionTokens: 31, durationMs: 330 })
  assert.equal(m.ttftMs(), 20) // window keeps the last 3: 10, 20, 30
  assert.equal(m.jobs, 5)
  assert.equal(median([3, 1, 2, 4]), 2.5)
})
