import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { openPaymentLedger } from '../../node/paymentLedger.ts'

test('jobs due, payer addresses and pending debt survive a restart; old due jobs are trimmed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'infernet-ledger-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'payments.sqlite')
  const first = openPaymentLedger(path, { maxDueJobs: 2 })
  first.setDue('job-a', 'client-1', 5n)
  first.setDue('job-b', 'client-1', 7n)
  first.setDue('job-c', 'client-2', 11n)
  first.addPending('client-1', 12n)
  first.addPending('client-1', 3n)
  first.setPayer('client-2', '0x00000000000000000000000000000000000000aa')
  first.close()

  const again = openPaymentLedger(path, { maxDueJobs: 2 })
  t.after(() => again.close())
  assert.equal(again.getDue('job-a'), undefined, 'the oldest due job was trimmed')
  assert.deepEqual(again.getDue('job-b'), { client: 'client-1', amount: 7n })
  assert.deepEqual(again.getDue('job-c'), { client: 'client-2', amount: 11n })
  assert.equal(again.payerOf('client-2'), '0x00000000000000000000000000000000000000aa')
  assert.equal(again.payerOf('client-1'), undefined)
  assert.equal(again.takePending('client-1'), 15n)
  assert.equal(again.pending('client-1'), 0n)
  again.deleteDue('job-b')
  assert.equal(again.getDue('job-b'), undefined)
})
