// Small zod building blocks shared by the event content schemas.
import { z } from 'zod'
import { reject, utf8Length, type Rejected } from './event.ts'

export const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex characters')
export const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte address')
/** Token amounts are decimal strings of base units (wei): JSON numbers lose precision past 2^53. */
export const amount = z.string().regex(/^\d{1,78}$/, 'expected a decimal integer string')
export const modelId = z.string().min(1).max(128).regex(/^[\w.:/@+-]+$/, 'model ids use letters, digits and . : / @ + - _')
export const url = z.string().max(512).refine((value) => {
  try {
    return ['ws:', 'wss:', 'http:', 'https:'].includes(new URL(value).protocol)
  } catch {
    return false
  }
}, 'expected an absolute ws(s):// or http(s):// URL')

/** Price per million tokens, in base units of the payment token. */
export const price = z.object({ input: amount, output: amount }).strict()
export type Price = z.infer<typeof price>

export function parseJsonContent<T>(content: string, schema: z.ZodType<T>, what: string): { ok: true; data: T } | Rejected {
  let raw: unknown
  try {
    raw = JSON.parse(content)
  } catch {
    return reject('bad-content', `${what} content is not valid JSON`)
  }
  return checkSchema(raw, schema, what)
}

function checkSchema<T>(raw: unknown, schema: z.ZodType<T>, what: string): { ok: true; data: T } | Rejected {
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const path = issue.path.length ? issue.path.join('.') : '(root)'
    return reject('bad-content', `${what} content field ${path}: ${issue.message}`)
  }
  return { ok: true, data: parsed.data }
}

/**
 * The recipient's side of an encrypted JSON content: decrypt (undecryptable), bound the size (too-large), parse
 * (bad-content) and check the schema (bad-content), with `what` naming the content in every reason.
 */
export async function decryptJsonContent<T>(
  decrypt: () => Promise<string>,
  schema: z.ZodType<T>,
  { what, schemaName, maxBytes, precheck }: { what: string; schemaName: string; maxBytes?: number | undefined; precheck?: ((raw: unknown) => Rejected | undefined) | undefined },
): Promise<{ ok: true; data: T } | Rejected> {
  let plaintext: string
  try {
    plaintext = await decrypt()
  } catch (err) {
    return reject('undecryptable', `${what} cannot be decrypted (${(err as Error).message})`)
  }
  if (maxBytes !== undefined && utf8Length(plaintext) > maxBytes) return reject('too-large', `${what} exceeds ${maxBytes} bytes`)
  let raw: unknown
  try {
    raw = JSON.parse(plaintext)
  } catch {
    return reject('bad-content', `${what} is not valid JSON`)
  }
  const early = precheck?.(raw)
  if (early) return early
  return checkSchema(raw, schema, schemaName)
}
