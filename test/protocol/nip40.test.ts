// The one NIP-40 reading: the first `expiration` tag decides, and only plain decimal digits are a timestamp.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { getExpiration, isExpired, readExpiration } from '../../src/protocol/nip40.ts'

const tags = (...t: string[][]) => ({ tags: t })

describe('NIP-40 expiration', () => {
  it('reads the first expiration tag', () => {
    assert.equal(readExpiration(tags(['p', 'x'])), undefined)
    assert.equal(readExpiration(tags(['expiration', '1700000000'])), 1_700_000_000)
    assert.equal(readExpiration(tags(['expiration', '10'], ['expiration', '20'])), 10)
  })
  it('calls anything but a safe decimal integer malformed, and a malformed tag is not replaced by a later one', () => {
    for (const value of ['', ' 10', '10 ', '+10', '-10', '1e3', '0x10', '10.5', '99999999999999999999']) {
      assert.equal(readExpiration(tags(['expiration', value])), 'malformed', JSON.stringify(value))
    }
    assert.equal(readExpiration(tags(['expiration'])), 'malformed')
    assert.equal(readExpiration(tags(['expiration', 'soon'], ['expiration', '10'])), 'malformed')
    assert.equal(getExpiration(tags(['expiration', 'soon'], ['expiration', '10'])), undefined, 'malformed counts as never expiring')
  })
  it('expires at or before now', () => {
    assert.equal(isExpired(tags(['expiration', '100']), 100), true)
    assert.equal(isExpired(tags(['expiration', '101']), 100), false)
    assert.equal(isExpired(tags(), 100), false)
  })
})
