// Durability: a spawned `infernet relay` killed with SIGKILL loses no acknowledged event; SIGTERM closes
// client sockets with 1001 after finishing the writes in flight.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure'
import { spawnRelayProcess, type SpawnedRelay } from '../../helpers/relay.ts'
import { collect, connect } from './wsClient.ts'

const dir = mkdtempSync(join(tmpdir(), 'relay-restart-'))
const started: SpawnedRelay[] = []
after(async () => {
  for (const r of started) await r.stop('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const sk = generateSecretKey()
const makeEvents = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => finalizeEvent({ kind: 1, created_at: 1_700_000_000 + i, tags: [['t', tag]], content: `${tag} ${i}` }, sk))

describe('relay process durability', () => {
  it('keeps every acknowledged event across kill -9', async () => {
    const dbPath = join(dir, 'kill.db')
    const first = await spawnRelayProcess({ dbPath })
    started.push(first)
    const c = await connect(first.url)
    const events = makeEvents(300, 'kill')
    const acked = new Set<string>()
    c.ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as unknown[]
      if (m[0] === 'OK' && m[2] === true) acked.add(m[1] as string)
    })
    for (const e of events) c.send(['EVENT', e])
    // Kill in the middle of the stream, as soon as some acks arrived.
    await c.waitFor((m) => m[0] === 'OK' && m[1] === events[100]!.id)
    await first.stop('SIGKILL')
    assert.equal(first.child.signalCode, 'SIGKILL')
    const ackedNow = new Set(acked)
    assert.ok(ackedNow.size >= 101)

    const second = await spawnRelayProcess({ dbPath })
    started.push(second)
    const r = await connect(second.url)
    r.send(['REQ', 'all', { '#t': ['kill'], limit: 1000 }])
    const stored = new Set((await collect(r, 'all')).map((e) => e.id as string))
    for (const id of ackedNow) assert.ok(stored.has(id), `acknowledged event ${id} is missing after restart`)
    await r.close()
    await second.stop()
    assert.equal(second.child.exitCode, 0)
  })

  it('on SIGTERM acknowledges pending writes and closes sockets with 1001; restarts with --config', async () => {
    const dbPath = join(dir, 'term.db')
    const relay = await spawnRelayProcess({ dbPath })
    started.push(relay)
    const c = await connect(relay.url)
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)))
    const events = makeEvents(50, 'term')
    for (const e of events) c.send(['EVENT', e])
    await c.ok(events[49]!.id)
    await relay.stop('SIGTERM')
    assert.equal(await closed, 1001)
    assert.equal(relay.child.exitCode, 0)
    const configFile = join(dir, 'relay.json')
    writeFileSync(configFile, JSON.stringify({ name: 'from-config-file', maxSubscriptions: 7 }))
    const again = await spawnRelayProcess({ dbPath, args: ['--config', configFile] })
    started.push(again)
    const info = (await (await fetch(again.url.replace(/^ws/, 'http'), { headers: { accept: 'application/nostr+json' } })).json()) as {
      name: string
      limitation: { max_subscriptions: number }
    }
    assert.deepEqual([info.name, info.limitation.max_subscriptions], ['from-config-file', 7], '--config FILE is applied')
    const r = await connect(again.url)
    r.send(['COUNT', 'n', { '#t': ['term'] }])
    assert.deepEqual(await r.waitFor((m) => m[0] === 'COUNT'), ['COUNT', 'n', { count: 50 }])
    await r.close()
    await again.stop()
  })
})
