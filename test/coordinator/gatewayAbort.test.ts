// A gateway request that ends is collected (issue 15, item 5): the abort listener the handler added to the request's
// signal held the whole request (Hono context, body, response) for as long as undici kept the signal, and the
// coordinator's memory grew ~23 KB with every request. A caller that hangs up still cancels its job.
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, it } from 'node:test'
import { CancelledError } from '../../client/errors.ts'
import { createCoordinator } from '../../src/coordinator/app.ts'
import { startCoordinatorServer } from '../../src/coordinator/server.ts'
import type { GatewayNetwork } from '../../src/coordinator/gateway/network.ts'
import { fakeNode } from './fixtures.ts'

/** Answers at once, or, for a prompt "hang", only when its job's signal aborts (then it fails cancelled). */
function echoNetwork() {
  const aborted: string[] = []
  const signals: WeakRef<AbortSignal>[] = []
  const network: GatewayNetwork & { started(): number } = {
    started: () => signals.length,
    chat(params) {
      signals.push(new WeakRef(params.signal!))
      const prompt = params.messages[0]!.content
      const result =
        prompt === 'hang'
          ? new Promise<never>((_, reject) =>
              params.signal!.addEventListener('abort', () => {
                aborted.push(prompt)
                reject(new CancelledError())
              }),
            )
          : Promise.resolve({ text: String(prompt).repeat(200), usage: { promptTokens: 1, completionTokens: 1 }, model: params.model, finishReason: 'stop', node: 'n'.repeat(64), cost: 0n })
      return {
        result,
        cancel() {},
        async *[Symbol.asyncIterator]() {
          yield { type: 'delta' as const, text: (await result).text }
        },
      }
    },
    close: async () => {},
  }
  return { network, aborted, signals }
}

describe('gateway request signal', () => {
  it('finished requests, streaming or not, are collected: nothing on their signal keeps them (real HTTP, forced GC)', async (t) => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const { network, signals } = echoNetwork()
    const coord = createCoordinator({ relays: [], dbPath: ':memory:', network })
    for (const e of (await fakeNode('abort-gc-node')).events) coord.indexer.ingest(e)
    coord.indexer.flush()
    const server = await startCoordinatorServer({ coordinator: coord, host: '127.0.0.1', port: 0 })
    t.after(() => server.close())
    const count = 200
    for (let i = 0; i < count; i++) {
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama3', stream: i % 2 === 1, messages: [{ role: 'user', content: `request ${i}` }] }),
      })
      assert.equal(res.status, 200)
      await res.text()
    }
    // Each round lets finalizers run, which frees more on the next.
    let alive = count
    for (let round = 0; round < 10 && alive > 0; round++) {
      gc()
      await new Promise((r) => setTimeout(r, 20))
      alive = signals.filter((s) => s.deref() !== undefined).length
    }
    // Before the fix every one of them was still alive (the listener held the whole request).
    assert.ok(alive <= count / 10, `${alive} of ${count} finished requests are still in memory`)
  })

  it('a caller that hangs up cancels its job, and the request then holds nothing', async (t) => {
    const { network, aborted } = echoNetwork()
    const coord = createCoordinator({ relays: [], dbPath: ':memory:', network })
    t.after(() => coord.close())
    for (const e of (await fakeNode('abort-node')).events) coord.indexer.ingest(e)
    coord.indexer.flush()
    const caller = new AbortController()
    const req = new Request('http://127.0.0.1/v1/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama3', messages: [{ role: 'user', content: 'hang' }] }),
      signal: caller.signal,
    })
    const pending = Promise.resolve(coord.app.fetch(req))
    while (aborted.length === 0 && network.started() === 0) await new Promise((r) => setImmediate(r))
    caller.abort()
    const res = await pending
    assert.equal(res.status, 400)
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'cancelled')
    assert.deepEqual(aborted, ['hang'])
  })
})
