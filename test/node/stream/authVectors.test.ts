// test/vectors/streamAuth.json: the time window and the URL binding of nips/stream.md, "Authentication", on
// fixed signed events.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { authBases, boundAuthUrl } from '../../../node/stream/authUrl.ts'
import { ReplayGuard, verifyAuthEvent } from '../../../src/protocol/auth.ts'
import type { NostrEvent } from '../../../src/protocol/event.ts'

type Case = { name: string; event: NostrEvent; now: number; expect: string }
const vectors = JSON.parse(readFileSync(new URL('../../vectors/streamAuth.json', import.meta.url), 'utf8')) as { node: { announced: string; extra: string[] }; client: string; cases: Case[] }

test('stream auth vectors: window and URL binding', () => {
  const bases = authBases({ announced: vectors.node.announced, listening: 'http://127.0.0.1:8790', extra: vectors.node.extra })
  for (const c of vectors.cases) {
    const r = verifyAuthEvent(c.event, { url: boundAuthUrl(bases, 'ws', c.event), method: 'WS', connection: true }, { now: c.now, replay: new ReplayGuard() })
    assert.equal(r.ok ? 'ok' : r.code, c.expect, c.name)
    if (r.ok) assert.equal(r.data.pubkey, vectors.client)
  }
  // Without an announced URL the node's own listening URL is the one.
  assert.deepEqual(authBases({ announced: undefined, listening: 'http://127.0.0.1:8790' }), ['http://127.0.0.1:8790'])
})
