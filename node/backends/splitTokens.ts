/**
 * Splits text into word-sized pseudo-tokens whose concatenation is exactly the input
 * (`"Hi there."` -> `["Hi", " there."]`). Used by the demo backend and the fake servers to pace output.
 */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? []
}
