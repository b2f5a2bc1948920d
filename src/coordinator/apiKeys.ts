// Gateway API keys: who may call /v1, how much each may spend (in the payment token's base units, as charged by
// the nodes) and how many requests per minute. A request holds its worst case against the budget before its job
// is sent (`reserve`) and is charged what it cost on its result (`settle`), so concurrent requests cannot spend past
// it. Spending is kept in its own file (apiKeyUsage.ts), not in the rebuildable cache.
import { readFileSync } from 'node:fs'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex } from '@noble/hashes/utils.js'
import { z } from 'zod'
import { BaseError } from '../errors/base.ts'
import type { ApiKeyUsageStore } from './apiKeyUsage.ts'
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
  /** Worst cases held by this key's requests in flight: what they may still cost. */
  reserved: bigint
  requests: number
  tokens: number
  refilledAt: number
}

/**
 * The worst case of one request, held against its key's budget from before the job until its result (`settle`,
 * which charges what it really cost) or its failure (`release`). Settling or releasing twice does nothing.
 */
export type ApiKeyReservation = { readonly state: ApiKeyState | undefined; readonly amount: bigint; open: boolean }

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>

const keyId = (key: string) => bytesToHex(sha256(new TextEncoder().encode(key))).slice(0, 32)

export type CreateApiKeyStoreParameters = {
  keys: ApiKeySpec[]
  /** Where spending is kept (its own file, apiKeyUsage.ts); without it nothing outlives the process. */
  usage?: ApiKeyUsageStore | undefined
  /** The coordinator's cache, read once for spending recorded there by versions that kept it in the cache. */
  legacy?: CoordinatorDb | undefined
  clock?: (() => number) | undefined
}

export function createApiKeyStore({ keys, usage, legacy, clock = Date.now }: CreateApiKeyStoreParameters) {
  const byHash = new Map<string, ApiKeyState>()
  const persist = (state: ApiKeyState) => usage?.put(state.id, { spent: state.spent, requests: state.requests })
  for (const spec of keys) {
    const id = keyId(spec.key)
    const stored = usage?.get(id)
    const old = stored ? undefined : legacy?.getUsage(id)
    const state: ApiKeyState = {
      id,
      name: spec.name ?? `key-${id.slice(0, 6)}`,
      budget: spec.budget === undefined || spec.budget === null ? undefined : BigInt(spec.budget),
      ratePerMinute: spec.ratePerMinute ?? undefined,
      spent: stored?.spent ?? old?.spent ?? 0n,
      reserved: 0n,
      requests: stored?.requests ?? old?.requests ?? 0,
      tokens: spec.ratePerMinute ?? 0,
      refilledAt: clock(),
    }
    byHash.set(id, state)
    // Carried over from the cache into the usage file once, so deleting the cache afterwards loses nothing.
    if (old && old.requests > 0) persist(state)
  }
  const identify = (header: string | undefined): ApiKeyState | undefined => {
    if (byHash.size === 0) return undefined
    const match = /^Bearer\s+(.+)$/i.exec(header ?? '')
    if (!match) throw errors.invalidApiKey()
    const state = byHash.get(keyId(match[1]!.trim()))
    if (!state) throw errors.invalidApiKey()
    return state
  }
  /** Budget not spent nor held by requests in flight (undefined = unlimited). */
  const available = (state: ApiKeyState | undefined): bigint | undefined => {
    if (!state || state.budget === undefined) return undefined
    const left = state.budget - state.spent - state.reserved
    return left > 0n ? left : 0n
  }
  return {
    /** No keys configured: the gateway serves anyone (and the server refuses to bind beyond loopback). */
    get open(): boolean {
      return byHash.size === 0
    },
    /** The key an Authorization header (`Bearer <key>`) names, without counting a request; throws invalid_api_key. */
    identify,
    /**
     * Checks the Authorization header (`Bearer <key>`) and counts a request against the key's rate; throws
     * invalid_api_key, rate_limit_exceeded, or (when the request spends, as gateway requests do) insufficient_quota.
     */
    authorize(header: string | undefined, { spends = true }: { spends?: boolean | undefined } = {}): ApiKeyState | undefined {
      const state = identify(header)
      if (!state) return undefined
      if (spends && available(state) === 0n) throw errors.insufficientQuota()
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
    /** Budget not spent nor held by requests in flight (undefined = unlimited). */
    available,
    /**
     * Holds `amount` (a request's worst case) against the key's budget, or throws insufficient_quota when what is
     * left, after what requests in flight hold, does not cover it. Synchronous: two concurrent requests can never
     * both take the last of a budget.
     */
    reserve(state: ApiKeyState | undefined, amount: bigint): ApiKeyReservation {
      if (!state || state.budget === undefined) return { state, amount: 0n, open: true }
      const left = available(state)!
      if (amount > left) throw errors.insufficientQuota({ needed: amount, left, held: state.reserved })
      state.reserved += amount
      return { state, amount, open: true }
    },
    /** The request finished: charges what it cost (persisted) and frees its hold. */
    settle(reservation: ApiKeyReservation, cost: bigint): void {
      if (!reservation.open) return
      reservation.open = false
      const { state } = reservation
      if (!state) return
      state.reserved -= reservation.amount
      state.spent += cost
      persist(state)
    },
    /** The request failed before anything was paid: frees its hold. */
    release(reservation: ApiKeyReservation): void {
      if (!reservation.open) return
      reservation.open = false
      if (reservation.state) reservation.state.reserved -= reservation.amount
    },
    list(): { name: string; spent: string; reserved: string; requests: number; budget: string | null }[] {
      return [...byHash.values()].map((s) => ({ name: s.name, spent: s.spent.toString(), reserved: s.reserved.toString(), requests: s.requests, budget: s.budget?.toString() ?? null }))
    },
  }
}
