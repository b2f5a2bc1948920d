// The demo backend's pseudo-tokenizer lives in the core (src/protocol/splitTokens.ts): clients check the demo
// model's usage against the same rule.
export { splitTokens } from '../../src/protocol/splitTokens.ts'
