// Gateway API keys: who may call /v1, how much each may spend (in the payment token's base units, as charged by
// the nodes) and how many requests per minute. Spending is kept in the SQLite cache so a restart does not reset it.
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { z } from 'zod'
import { BaseError } from '../errors/base.ts'
import type { CoordinatorDb } from './db.ts'
import { errors } from './errors.ts'

export const apiKeySpec = z.object({
  key: z.string().min(8).max(256),
  name: z.string().max(64).optional(),
  /** Most this key may spend in total (base units, decimal string or integer); absent = unlimited. */
  budget: z.union([z.string().regex(/^\d{1,78}$/), z.number().int().nonnegative()]).nullable().optional(),
  ratePerMinute: z.number().positive().nullable().optional(),
})
export type ApiKeySpec = z.infer<typeof apiKeySpec>

export class KeysFileError extends BaseError {
  override name = 'KeysFileError'
  override code = 'keys-file'
  constructor(path: string, reason: string) {
    super(`API keys file ${path} is invalid: ${reason}`, {
      docsPath: 'routing.md',
      metaMessages: ['It must hold a JSON array: [{ "key": "sk-...", "name": "alice", "budget": "1000000", "ratePerMinute": 60 }].'],
    })
  }
}

export function loadKeysFile(path: string): ApiKeySpec[] {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new KeysFileError(path, (err as Error).message)
  }
  const parsed = z.array(apiKeySpec).safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new KeysFileError(path, `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  return parsed.data
}

export type ApiKeyState = {
  id: string
  name: string
  budget: bigint | undefined
  ratePerMinute: number | undefined
  spent: bigint
  requests: number
  tokens: number
  refilledAt: number
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>

export function createApiKeyStore({ keys, db, clock = Date.now }: { keys: ApiKeySpec[]; db?: CoordinatorDb | undefined; clock?: () => number }) {
  const byHash = new Map<string, ApiKeyState>()
  for (const spec of keys) {
    const id = bytesToHex(sha256(new TextEncoder().encode(spec.key))).slice(0, 32)
    const usage = db?.getUsage(id) ?? { spent: 0n, requests: 0 }
    byHash.set(id, {
      id,
      name: spec.name ?? `key-${id.slice(0, 6)}`,
      budget: spec.budget === undefined || spec.budget === null ? undefined : BigInt(spec.budget),
      ratePerMinute: spec.ratePerMinute ?? undefined,
      spent: usage.spent,
      requests: usage.requests,
      tokens: spec.ratePerMinute ?? 0,
      refilledAt: clock(),
    })
  }
  return {
    /** No keys configured: the gateway serves anyone (and the server refuses to bind beyond loopback). */
    get open(): boolean {
      return byHash.size === 0
    },
    /** Checks the Authorization header (`Bearer <key>`); throws invalid_api_key, insufficient_quota or rate_limit_exceeded. */
    authorize(header: string | undefined): ApiKeyState | undefined {
      if (byHash.size === 0) return undefined
      const match = /^Bearer\s+(.+)$/i.exec(header ?? '')
      if (!match) throw errors.invalidApiKey()
      const id = bytesToHex(sha256(new TextEncoder().encode(match[1]!.trim()))).slice(0, 32)
      const state = byHash.get(id)
      if (!state) throw errors.invalidApiKey()
      if (state.budget !== undefined && state.spent >= state.budget) throw errors.insufficientQuota()
      if (state.ratePerMinute !== undefined) {
        const now = clock()
        const perMs = state.ratePerMinute / 60_000
        state.tokens = Math.min(state.ratePerMinute, state.tokens + (now - state.refilledAt) * perMs)
        state.refilledAt = now
        if (state.tokens < 1) throw errors.rateLimited(Math.max(1, Math.ceil((1 - state.tokens) / perMs / 1000)))
        state.tokens -= 1
      }
      state.requests++
      return state
    },
    /** Records what a request cost (persisted). */
    charge(state: ApiKeyState | undefined, cost: bigint): void {
      if (!state) return
      state.spent += cost
      db?.putUsage(state.id, state.spent, state.requests)
    },
    /** Remaining budget of a key, for the SDK's per-request budget (undefined = unlimited). */
    remaining(state: ApiKeyState | undefined): bigint | undefined {
      if (!state || state.budget === undefined) return undefined
      return state.budget > state.spent ? state.budget - state.spent : 0n
    },
    list(): { name: string; spent: string; requests: number; budget: string | null }[] {
      return [...byHash.values()].map((s) => ({ name: s.name, spent: s.spent.toString(), requests: s.requests, budget: s.budget?.toString() ?? null }))
    },
  }
}
