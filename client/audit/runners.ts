// The two sides of an audit job (runAudit.ts): the node, through the SDK from a key made for that one job (so no two
// audit jobs, and no audit job and its auditor, share a key in public) or through a client that also carries
// ordinary jobs (the coordinator's gateway: paid, and from its key), and the reference, either an engine's
// OpenAI-compatible endpoint loaded with the weights under test or another node announcing the same digest.
import { generateSecretKey } from 'nostr-tools/pure'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import type { Logger } from '../../src/log.ts'
import { createLocalSigner } from '../../src/signer.ts'
import { InfernetClient } from '../client.ts'
import { senderRefusals, type AuditRunner } from './runAudit.ts'

export type NodeRunnerParameters = {
  relays: string[]
  node: string
  WebSocket?: WebSocketConstructor | undefined
  acceptTimeoutMs?: number | undefined
  logger?: Logger | undefined
}

/** The id of the job an SDK error is about, when one was sent (a node that failed an audit job is named all the same). */
function jobOfError(err: unknown): string | undefined {
  const e = err as { job?: unknown; failures?: { job?: string }[] }
  if (typeof e.job === 'string' && e.job) return e.job
  return e.failures?.findLast((f) => f.job)?.job
}

/** The node's refusal code when it refused the job for the sender's reasons (runAudit.ts: then the audit is not run). */
function refusalOfError(err: unknown): string | undefined {
  const code = (err as { failures?: { job?: string; code?: string }[] }).failures?.findLast((f) => f.job)?.code
  return code !== undefined && (senderRefusals as readonly string[]).includes(code) ? code : undefined
}

/**
 * Each job through `client` (its key, its receipts, its connections), pinned to `node`: the coordinator's auditor
 * sends its audits through its gateway's client, so they are paid like the gateway's jobs and come from the key all of
 * them come from. The caller keeps the client open.
 */
export function clientRunner({ client, node }: { client: Pick<InfernetClient, 'complete'>; node: string }): AuditRunner {
  return async ({ model, messages, params }) => {
    try {
      const result = await client.complete({ model, messages, params, routing: { pin: node } })
      return { job: result.jobs.at(-1)?.id, text: result.text, tokens: result.logprobs, completionTokens: result.usage.completionTokens }
    } catch (err) {
      throw Object.assign(err as Error, { job: jobOfError(err), refused: refusalOfError(err) })
    }
  }
}

/** Each job from a fresh key, pinned to `node`, one attempt, no resumption elsewhere: the audit is of that node. */
export function nodeRunner({ relays, node, WebSocket, acceptTimeoutMs, logger }: NodeRunnerParameters): AuditRunner {
  return async (job) => {
    const client = new InfernetClient({ relays, signer: createLocalSigner(generateSecretKey()), WebSocket, routing: { pin: node }, maxAttempts: 1, resume: false, acceptTimeoutMs, logger })
    try {
      await client.ready()
      return await clientRunner({ client, node })(job)
    } finally {
      await client.close()
    }
  }
}

type EngineAnswer = {
  choices?: { message?: { content?: unknown }; logprobs?: { content?: { token?: unknown; logprob?: unknown }[] | null } | null }[]
  usage?: { completion_tokens?: unknown }
}

/** An engine's POST /v1/chat/completions (llama-server, vLLM, ...), non-streaming, the job's parameters as they are. */
export function engineRunner({ url, fetch: fetchFn = globalThis.fetch, model }: { url: string; fetch?: typeof fetch | undefined; model?: string | undefined }): AuditRunner {
  return async ({ model: asked, messages, params }) => {
    const res = await fetchFn(`${url.replace(/\/$/, '')}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: model ?? asked, messages, ...params, stream: false }),
    })
    if (!res.ok) throw new Error(`the reference engine at ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
    const answer = (await res.json()) as EngineAnswer
    const choice = answer.choices?.[0]
    const text = choice?.message?.content
    if (typeof text !== 'string') throw new Error(`the reference engine at ${url} answered no message content`)
    const counted = answer.usage?.completion_tokens
    const completionTokens = typeof counted === 'number' && Number.isInteger(counted) ? counted : undefined
    if (!params.logprobs) return { text, completionTokens }
    const tokens = (choice?.logprobs?.content ?? []).map((t) => ({ token: String(t.token ?? ''), logprob: Number(t.logprob) }))
    if (tokens.length === 0 && text !== '') throw new Error(`the reference engine at ${url} answered no logprobs: it cannot be the reference of a greedy-logprob audit`)
    return { text, tokens, completionTokens }
  }
}
