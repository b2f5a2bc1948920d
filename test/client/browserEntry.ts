// What a web page imports to use Infernet: bundled for the browser by test/client/browser.test.ts.
export { InfernetClient } from '../../client/client.ts'
export { createLocalSigner, createNip07Signer } from '../../src/signer.ts'
export { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure'
// The browser test builds a NIP-07 provider (what an extension puts on window.nostr) from these.
export { v2 as nip44 } from 'nostr-tools/nip44'
