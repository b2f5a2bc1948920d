// A routing node for pure routing tests: one model `llama3` (with `features` and `digest` when given), free, live
// unless told otherwise, its pubkey the digit `n` repeated.
import type { Capability } from '../../src/protocol/capability.ts'
import type { RoutingNode } from '../../src/routing/score.ts'
import { emptyStats } from '../../src/routing/stats.ts'
import { fixedNow } from './keys.ts'

export function routingNode(n: number, features: string[] | undefined, { free = 1, live = true, digest, now = fixedNow }: { free?: number; live?: boolean; digest?: string; now?: number } = {}): RoutingNode {
  const pubkey = String(n).repeat(64).slice(0, 64)
  const model = { id: 'llama3', ...(features ? { features } : {}), ...(digest ? { digest } : {}) }
  const capability: Capability = { v: 1, backend: 'fake', models: [model], price: { input: '0', output: '0' }, gpus: [], stream: null, maxConcurrency: 1, maxQueue: 0, maxPromptBytes: 1000, pubkey, createdAt: now - 600, expiresAt: now + 600 }
  const heartbeat = { v: 1 as const, models: ['llama3'], loaded: [], slots: { free, total: 1 }, queue: 0, tps: null, ttftMs: null, gpus: [], interval: 30, backendHealthy: live, pubkey, createdAt: now - 10, expiresAt: now + 80 }
  return { pubkey, capability, heartbeat, stats: emptyStats(), inflight: 0 }
}
