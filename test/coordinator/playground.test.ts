// The playground's browser-side parts that need no browser: relay lists as typed, the local key kept in storage,
// and the figures shown for a finished job.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { npubEncode } from 'nostr-tools/nip19'
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure'
import { parseRelayList } from '../../src/coordinator/playground/browser/market.ts'
import { loadOrCreateLocalKey, localKeyStorageKey } from '../../src/coordinator/playground/browser/signer.ts'
import { summarizeJob, tokensPerSecond } from '../../src/coordinator/playground/browser/summary.ts'

test('relay lists, the local key and the job summary', () => {
  assert.deepEqual(parseRelayList(' wss://a.example, ws://b:7777\nwss://a.example '), ['wss://a.example', 'ws://b:7777'])
  assert.throws(() => parseRelayList(' '), /at least one relay/)
  assert.throws(() => parseRelayList('wss://ok https://no'), /"https:\/\/no" is not a relay URL/)

  const store = new Map<string, string>()
  const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) }
  const key = loadOrCreateLocalKey(storage)
  assert.deepEqual(loadOrCreateLocalKey(storage), key, 'a reload keeps the identity')
  store.set(localKeyStorageKey, 'not a key')
  assert.notDeepEqual(loadOrCreateLocalKey(storage), key, 'a damaged entry is replaced')

  assert.equal(tokensPerSecond(50, { submittedMs: 0, firstTokenMs: 100, doneMs: 600 }), 100)
  assert.equal(tokensPerSecond(50, { submittedMs: 0, firstTokenMs: undefined, doneMs: 600 }), undefined)
  const pubkey = getPublicKey(generateSecretKey())
  const rows = summarizeJob(
    { node: pubkey, cost: 1_500_000_000n, usage: { promptTokens: 3, completionTokens: 50 }, ttftMs: 42.4, model: 'demo', jobs: [{ id: 'j', node: pubkey, outcome: 'ok', transport: 'relay' }], resumed: false },
    { submittedMs: 0, firstTokenMs: 100, doneMs: 600 },
  )
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.key, r.value])), {
    node: npubEncode(pubkey),
    model: 'demo',
    price: '1.5 gwei',
    tokens: '3 in, 50 out',
    tps: '100.0',
    ttft: '42 ms',
    transport: 'relay',
  })
})
