// Worker thread of the signature pool (plain JS so it loads without the TypeScript loader).
// Receives { batch, items: [id, pubkey, sig][] } and answers { batch, results: Uint8Array } (1 = valid).
import { parentPort } from 'node:worker_threads'
import { schnorr } from '@noble/curves/secp256k1.js'
import { hexToBytes } from '@noble/hashes/utils.js'

parentPort.on('message', ({ batch, items }) => {
  const results = new Uint8Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const [id, pubkey, sig] = items[i]
    try {
      results[i] = schnorr.verify(hexToBytes(sig), hexToBytes(id), hexToBytes(pubkey)) ? 1 : 0
    } catch {
      results[i] = 0
    }
  }
  parentPort.postMessage({ batch, results })
})
