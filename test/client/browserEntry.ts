// What a web page imports to use Infernet: bundled for the browser by test/client/browser.test.ts.
export { InfernetClient } from '../../client/client.ts'
export { createLocalSigner } from '../../src/signer.ts'
export { generateSecretKey } from 'nostr-tools/pure'
