// The retry queue behind queued receipts and redeems before withdrawal: every pass tries every item in arrival
// order (one that keeps failing does not hold up the others), the pause doubles while passes fail and resets after
// one goes through, the same item is kept once, a full queue refuses new items, and close() stops it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRetryQueue, type RetryOutcome } from '../../node/retryQueue.ts'

function manualTimer() {
  const pending: { fn: () => void; ms: number }[] = []
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const entry = { fn, ms }
      pending.push(entry)
      return { cancel: () => void pending.splice(pending.indexOf(entry), 1) }
    },
    /** Fires the oldest timer; returns its pause. */
    async fire(): Promise<number> {
      const entry = pending.shift()
      assert.ok(entry, 'a retry is scheduled')
      entry.fn()
      await new Promise((r) => setImmediate(r))
      return entry.ms
    },
  }
}

test('retry queue: order, no head-of-line blocking, doubling pause, dedupe, bound, close', async () => {
  const timer = manualTimer()
  const tried: string[] = []
  const failing = new Set(['a', 'b'])
  const queue = createRetryQueue<string>({
    key: (s) => s,
    attempt: async (s): Promise<RetryOutcome> => {
      tried.push(s)
      return failing.has(s) ? 'retry' : 'done'
    },
    minMs: 100,
    maxMs: 350,
    maxItems: 3,
    setTimer: timer.setTimer,
  })
  assert.equal(queue.add('a'), true)
  assert.equal(queue.add('b'), true)
  assert.equal(queue.add('a'), true, 'the same item is kept once')
  assert.equal(queue.add('c'), true)
  assert.equal(queue.add('d'), false, 'full')
  assert.equal(queue.size(), 3)
  assert.equal(await timer.fire(), 100)
  assert.deepEqual(tried, ['a', 'b', 'c'], 'c is tried although a and b fail')
  assert.equal(queue.size(), 2)
  assert.equal(await timer.fire(), 100, 'the first pause after a failed pass')
  assert.equal(await timer.fire(), 200)
  assert.equal(await timer.fire(), 350, 'capped')
  failing.delete('a')
  await queue.kick()
  assert.equal(queue.size(), 1)
  failing.clear()
  await timer.fire()
  assert.equal(queue.size(), 0)
  assert.equal(timer.pending.length, 0, 'nothing left to retry: no timer')
  queue.add('e')
  queue.close()
  assert.equal(timer.pending.length, 0, 'close cancels the timer')
  assert.equal(queue.size(), 0)
})
