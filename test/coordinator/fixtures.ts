// Signed market events for coordinator tests: a node's capability and heartbeat, job results and statuses.
import { buildCapability, type CapabilityContent } from '../../src/protocol/capability.ts'
import { buildHeartbeat, type HeartbeatContent } from '../../src/protocol/heartbeat.ts'
import { buildJobResult } from '../../src/protocol/jobResult.ts'
import { buildJobStatus } from '../../src/protocol/jobStatus.ts'
import type { NostrEvent } from '../../src/protocol/event.ts'
import type { Signer } from '../../src/signer.ts'
import { testSigner } from '../helpers/keys.ts'

export type FakeNodeOptions = {
  models?: string[]
  price?: { input: string; output: string }
  region?: string
  free?: number
  total?: number
  queue?: number
  tps?: number | null
  ttftMs?: number | null
  healthy?: boolean
  stream?: string | null
  name?: string
  now?: number
  interval?: number
}

export async function capabilityEvent(signer: Signer, o: FakeNodeOptions = {}): Promise<NostrEvent> {
  const content: CapabilityContent = {
    v: 1,
    name: o.name,
    backend: 'ollama',
    models: (o.models ?? ['llama3']).map((id) => ({ id, contextLength: 8192 })),
    price: o.price ?? { input: '0', output: '0' },
    gpus: [{ vendor: 'nvidia', name: 'RTX 4090', vramMiB: 24564 }],
    region: o.region,
    stream: o.stream === undefined ? null : o.stream,
    maxConcurrency: o.total ?? 4,
    maxPromptBytes: 65536,
  }
  if (content.name === undefined) delete content.name
  if (content.region === undefined) delete content.region
  return buildCapability(signer, content, o.now === undefined ? {} : { now: o.now })
}

export async function heartbeatEvent(signer: Signer, o: FakeNodeOptions = {}): Promise<NostrEvent> {
  const models = o.models ?? ['llama3']
  const content: HeartbeatContent = {
    v: 1,
    models,
    loaded: models,
    slots: { free: o.free ?? 4, total: o.total ?? 4 },
    queue: o.queue ?? 0,
    tps: o.tps === undefined ? 40 : o.tps,
    ttftMs: o.ttftMs === undefined ? 200 : o.ttftMs,
    gpus: [{ utilization: 0.1, vramFreeMiB: 10000 }],
    interval: o.interval ?? 30,
    backendHealthy: o.healthy ?? true,
  }
  return buildHeartbeat(signer, content, o.now === undefined ? {} : { now: o.now })
}

export async function fakeNode(name: string, o: FakeNodeOptions = {}): Promise<{ signer: Signer; pubkey: string; events: NostrEvent[] }> {
  const signer = testSigner(name)
  return { signer, pubkey: signer.pubkey, events: [await capabilityEvent(signer, o), await heartbeatEvent(signer, o)] }
}

export async function resultEvent(node: Signer, { job, client, model = 'llama3', ttftMs = 100, durationMs = 1100, completion = 50, now }: { job: string; client: string; model?: string; ttftMs?: number; durationMs?: number; completion?: number; now?: number }) {
  return buildJobResult(node, {
    job,
    client,
    model,
    usage: { promptTokens: 10, completionTokens: completion },
    amount: 0n,
    output: 'hello world',
    finishReason: 'stop',
    ttftMs,
    durationMs,
    now,
  })
}

export async function errorStatusEvent(node: Signer, { job, client, code = 'backend' }: { job: string; client: string; code?: 'backend' | 'busy' | 'internal' }) {
  return buildJobStatus(node, { job, client, status: 'error', content: { code, message: 'backend died' } })
}

/** Distinct 64-hex job ids. */
export function jobId(n: number): string {
  return n.toString(16).padStart(64, 'a')
}
