// Worker thread of the signature pool (plain JS so it loads without the TypeScript loader). libsecp256k1 as WASM
// (nostr-wasm), several times faster than pure JS. Receives { batch, items: event[] } and answers
// { batch, results: Uint8Array } (1 = id and signature valid). Messages sent before init completes are queued.
import { parentPort } from 'node:worker_threads'
import { initNostrWasm } from 'nostr-wasm'

const nostr = await initNostrWasm()

parentPort.on('message', ({ batch, items }) => {
  const results = new Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) {
    try {
      nostr.verifyEvent(items[i])
      results[i] = 1
    } catch {
      results[i] = 0
    }
  }
  parentPort.postMessage({ batch, results })
})
