// The turns behind a payment channel's signing (client/payments/receiptBook.ts) and a client's receipts on a node
// (node/walletPaymentGate.ts): one key's runs never interleave, other keys' run beside them, a failure ends only its
// own run.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createKeyedSerial } from '../../src/keyedSerial.ts'

test('runs under one key in call order, never two at once; other keys are not held up; a failure passes on', async () => {
  const turn = createKeyedSerial()
  const log: string[] = []
  let releaseFirst!: () => void
  const held = new Promise<void>((resolve) => (releaseFirst = resolve))
  const run = (key: string, name: string, wait?: Promise<void>, fail = false) =>
    turn(key, async () => {
      log.push(`${name} start`)
      await wait
      log.push(`${name} end`)
      if (fail) throw new Error(name)
      return name
    })
  const a1 = run('a', 'a1', held, true)
  const a2 = run('a', 'a2')
  const b1 = run('b', 'b1')
  assert.equal(await b1, 'b1', 'key b runs while key a is held')
  assert.deepEqual(log, ['a1 start', 'b1 start', 'b1 end'])
  releaseFirst()
  await assert.rejects(a1, /a1/)
  assert.equal(await a2, 'a2', 'the run after a failed one still runs')
  assert.deepEqual(log, ['a1 start', 'b1 start', 'b1 end', 'a1 end', 'a2 start', 'a2 end'])
})
