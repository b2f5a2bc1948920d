// Regenerates test/vectors/streamAuth.json: connection auth events (kind 27235) signed by testSigner("client") at
// fixedNow, each with the node's clock and the outcome nips/stream.md ("Authentication") prescribes for a node that
// announces `announced` and lists `extra` for its proxy. test/node/stream/authVectors.test.ts checks every case.
// Run: node --import tsx scripts/makeStreamAuthVectors.ts
import { writeFileSync } from 'node:fs'
import { buildAuthEvent } from '../src/protocol/auth.ts'
import { wsUrl } from '../src/protocol/frames.ts'
import { fixedNow, testSigner } from '../test/helpers/keys.ts'

const client = testSigner('client')
const announced = 'https://gpu7.example.net:8790'
const extra = ['http://gpu7.internal:8790']
const auth = (base: string, now = fixedNow) => buildAuthEvent(client, { url: wsUrl(base), method: 'WS', connection: true, now })
const forAnnounced = await auth(announced)
const vectors = {
  description:
    'Connection auth events for a node announcing `announced` with the extra auth URLs `extra`: each case is the event, the node clock (unix s) and the outcome (ok, or the refusal code). Made by scripts/makeStreamAuthVectors.ts.',
  node: { announced, extra },
  client: client.pubkey,
  cases: [
    { name: 'the announced URL, just signed', event: forAnnounced, now: fixedNow, expect: 'ok' },
    { name: '30 s old: still in the window', event: forAnnounced, now: fixedNow + 30, expect: 'ok' },
    { name: '31 s old: past the window', event: forAnnounced, now: fixedNow + 31, expect: 'expired' },
    { name: 'dated 15 s ahead of the node: accepted', event: forAnnounced, now: fixedNow - 15, expect: 'ok' },
    { name: 'dated 16 s ahead of the node: refused', event: forAnnounced, now: fixedNow - 16, expect: 'future' },
    { name: 'a URL the operator listed for its proxy', event: await auth(extra[0]!), now: fixedNow, expect: 'ok' },
    { name: 'another node\'s URL (what a spoofed Host header would name)', event: await auth('https://gpu8.example.net:8790'), now: fixedNow, expect: 'bad-tag' },
    { name: 'the node\'s local address, not announced', event: await auth('http://127.0.0.1:8790'), now: fixedNow, expect: 'bad-tag' },
  ],
}
writeFileSync(new URL('../test/vectors/streamAuth.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/streamAuth.json')
