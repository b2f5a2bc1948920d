import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatNative, formatPrice } from '../../src/payments/units.ts'

test('amounts read in the coin\'s units: ETH, gwei or wei, 6 significant digits at most', () => {
  assert.equal(formatNative(0n), '0 ETH')
  assert.equal(formatNative(10n ** 19n), '10 ETH')
  assert.equal(formatNative(10n ** 15n), '0.001 ETH')
  assert.equal(formatNative(123456789012345678n), '0.123457 ETH')
  assert.equal(formatNative('18200000000'), '18.2 gwei')
  assert.equal(formatNative(18_000n), '18000 wei')
  assert.equal(formatNative(1_000_000n), '0.001 gwei')
  assert.equal(formatNative(-2n * 10n ** 18n), '-2 ETH')
  assert.equal(formatPrice({ input: '100000000000', output: '300000000000' }), '100 gwei / 300 gwei')
})
