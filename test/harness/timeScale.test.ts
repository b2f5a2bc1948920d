// Deadlines for an idle machine stretch with the load: the factor (load per core, 1..10, or INFERNET_TEST_TIME_SCALE),
// the helpers' waits, and the suite's file timeout.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { waitFor } from '../helpers/network.ts'
import { maxTimeScale, measureTimeScale, scaled, timeScale } from '../helpers/timeScale.ts'

test('the factor is the load per core, at least 1 and at most 10, unless fixed by INFERNET_TEST_TIME_SCALE', () => {
  assert.equal(timeScale({ env: {}, load: 0.3, cores: 2 }), 1)
  assert.equal(timeScale({ env: {}, load: 14, cores: 2 }), 7)
  assert.equal(timeScale({ env: {}, load: 400, cores: 2 }), maxTimeScale)
  assert.equal(timeScale({ env: { INFERNET_TEST_TIME_SCALE: '2.5' }, load: 14, cores: 2 }), 2.5)
  assert.equal(timeScale({ env: { INFERNET_TEST_TIME_SCALE: 'soon' }, load: 4, cores: 2 }), 2, 'an unreadable value is ignored')
  assert.equal(scaled(30_000, { env: {}, load: 14, cores: 2 }), 210_000)
  assert.equal(measureTimeScale({ env: { INFERNET_TEST_TIME_SCALE: '4' } }), 4)
  const measured = measureTimeScale({ env: {}, load: 0, cores: 2, probeMs: 50 })
  assert.ok(measured >= 1 && measured <= maxTimeScale, String(measured))
})

test('a helper wait written for an idle machine lasts the scaled time', async (t) => {
  const before = process.env.INFERNET_TEST_TIME_SCALE
  t.after(() => (before === undefined ? delete process.env.INFERNET_TEST_TIME_SCALE : (process.env.INFERNET_TEST_TIME_SCALE = before)))
  process.env.INFERNET_TEST_TIME_SCALE = '4'
  const started = Date.now()
  await assert.rejects(waitFor(() => false, 'nothing', 100), /timed out after 400 ms waiting for nothing/)
  assert.ok(Date.now() - started >= 400)
})

test('the suite runner stretches its file timeout by the factor', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['scripts/runTests.js', 'relay/unit/rawEventId'], { env: { ...process.env, NODE_TEST_CONTEXT: undefined, INFERNET_TEST_TIME_SCALE: '3' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout + stderr),
    ),
  )
  assert.match(out, /time scale 3\.0\): file timeout 720 s/)
  assert.match(out, /# fail 0/)
})
