// Small helpers shared by the REST API and the gateway: read a JSON body with specific errors.
import type { Context } from 'hono'
import { errors } from './errors.ts'

export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') throw errors.invalidJson('the body is empty')
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw errors.invalidJson((err as Error).message)
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
