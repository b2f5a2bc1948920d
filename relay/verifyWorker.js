// Worker thread of the signature pool (plain JS so it loads without the TypeScript loader). Native libsecp256k1
// when the pool names its build (workerData.addon, src/schnorr/native/schnorr.c), else libsecp256k1 as WASM
// (nostr-wasm); both several times faster than pure JS. Receives { batch, items: event[] } and answers
// { batch, results: Uint8Array } (1 = signature valid; the relay checked the id before). Messages sent before
// init completes are queued.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

async function loadCheck(addon) {
  if (addon) {
    try {
      const native = createRequire(import.meta.url)(addon)
      return (event) => native.verify(event.sig, event.id, event.pubkey)
    } catch {
      // The main thread loaded this very file; should a worker not, it still verifies, only slower.
    }
  }
  const { initNostrWasm } = await import('nostr-wasm')
  const nostr = await initNostrWasm()
  return (event) => {
    try {
      nostr.verifyEvent(event)
      return true
    } catch {
      return false
    }
  }
}

const check = await loadCheck(workerData?.addon)

parentPort.on('message', ({ batch, items }) => {
  const results = new Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) results[i] = check(items[i]) ? 1 : 0
  parentPort.postMessage({ batch, results })
})
