// Small helpers shared by the REST API and the gateway: read a JSON body with specific errors.
import type { Context } from 'hono'
import { errors } from './errors.ts'

/** Default deepest nesting of arrays and objects a body may have (OpenAI bodies, JSON schemas included, stay far below). */
export const defaultMaxJsonDepth = 64

/**
 * The first offset at which `text` opens more than `limit` nested arrays or objects, or -1. Strings are skipped
 * (brackets inside them do not count). Checked before JSON.parse: the parse itself copes, but every recursive walk
 * after it (validation, JSON.stringify into the job, encryption) would overflow the stack on a deep enough body.
 */
export function jsonDepthExceeded(text: string, limit: number): number {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c) i++ // backslash: skip the escaped character
      else if (ch === 0x22) inString = false
      continue
    }
    if (ch === 0x22) inString = true
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > limit) return i
    } else if (ch === 0x7d || ch === 0x5d) depth--
  }
  return -1
}

export async function readJson(c: Context, { maxDepth = defaultMaxJsonDepth }: { maxDepth?: number | undefined } = {}): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') throw errors.invalidJson('the body is empty')
  const at = jsonDepthExceeded(text, maxDepth)
  if (at >= 0) throw errors.tooDeep(maxDepth, at)
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw errors.invalidJson((err as Error).message)
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
