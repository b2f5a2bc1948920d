// The demo backend's tokenizer, in the core because it is a rule both sides read: the demo backend and the fake
// servers count completion tokens with it, and a client checks the demo model's usage against it (usageBounds.ts).
/**
 * Splits text into word-sized pseudo-tokens whose concatenation is exactly the input
 * (`"Hi there."` -> `["Hi", " there."]`). Used by the demo backend and the fake servers to pace output.
 */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? []
}
