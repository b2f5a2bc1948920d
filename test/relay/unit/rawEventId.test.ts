// An EVENT over the size limit is answered `OK false` with its id wherever the id sits in the frame (nostr-tools
// writes it after the content), and the raw scan never takes an "id" out of the content or a tag.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { findEventId } from '../../../relay/rawEventId.ts'
import { startRelay } from '../../helpers/relay.ts'
import { connect } from './wsClient.ts'

const id = 'ab'.repeat(32)
const other = 'cd'.repeat(32)

describe('findEventId', () => {
  test('finds the top-level id before or after a large content', () => {
    assert.equal(findEventId(JSON.stringify(['EVENT', { id, content: 'x'.repeat(100_000) }])), id)
    assert.equal(findEventId(JSON.stringify(['EVENT', { kind: 1, tags: [['e', other]], content: 'x'.repeat(100_000), pubkey: other, id, sig: '0'.repeat(128) }])), id)
    assert.equal(findEventId(` [ "EVENT" ,\n { "content" : "a" , "id" : "${id}" } ] `), id)
  })

  test('skips ids inside strings, escaped quotes, tags and nested objects', () => {
    const content = `he said \\"id\\": \\"${other}\\" and a backslash \\\\`
    assert.equal(findEventId(`["EVENT",{"content":"${content}","tags":[["id","${other}"]],"x":{"id":"${other}"},"n":12,"b":true,"id":"${id}"}]`), id)
    assert.equal(findEventId(JSON.stringify(['EVENT', { content: `{"id":"${other}"}`, id }])), id)
    assert.equal(findEventId(`["EVENT",{"\\u0069d":"${id}"}]`), id, 'an escaped key is still "id"')
  })

  test('undefined for other verbs, a missing or malformed id, and truncated frames', () => {
    assert.equal(findEventId(JSON.stringify(['REQ', 's', { id }])), undefined)
    assert.equal(findEventId(JSON.stringify(['EVENT', { content: 'x' }])), undefined)
    assert.equal(findEventId(JSON.stringify(['EVENT', { id: 'AB'.repeat(32) }])), undefined)
    assert.equal(findEventId(JSON.stringify(['EVENT', { id: 'ab' }])), undefined)
    assert.equal(findEventId(`["EVENT",{"content":"never closed`), undefined)
    assert.equal(findEventId(`["EVENT",{"tags":[["a"]`), undefined)
    assert.equal(findEventId('not json at all'), undefined)
  })
})

test('an oversized EVENT whose id comes after its content gets OK false with that id, not a NOTICE', async (t) => {
  const relay = await startRelay({ config: { maxMessageBytes: 5000 } })
  t.after(() => relay.close())
  const c = await connect(relay.url)
  t.after(() => c.close())
  // finalizeEvent's key order: kind, created_at, tags, content, pubkey, id, sig; 8000 bytes of content put the id
  // past the first 4 KiB and the message under the transport's hard cap (2 x limit + 1 KiB), so it is read.
  const big = finalizeEvent({ kind: 1, created_at: 1_700_000_000, tags: [], content: 'x'.repeat(8000) }, generateSecretKey())
  const frame = JSON.stringify(['EVENT', big])
  assert.ok(frame.indexOf(`"id":"${big.id}"`) > 8000)
  c.send(frame)
  const ok = await c.waitFor((m) => m[0] === 'OK' || m[0] === 'NOTICE')
  assert.deepEqual(ok.slice(0, 3), ['OK', big.id, false], `got ${JSON.stringify(ok)}`)
  assert.match(String(ok[3]), /^invalid: message is \d+ bytes, limit is 5000/)
})
