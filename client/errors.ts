// Typed errors of the client SDK. Each says what happened, then what the caller can check or change.
// Docs: nips/client.md.
import { BaseError, redactUrl } from '../src/errors/base.ts'
import { featureParam, type ModelFeature } from '../src/protocol/features.ts'
import { describeShortfall, type FeatureShortfall } from '../src/routing/featureShortfall.ts'

const docsPath = 'client.md'

/** A command-line flag out of its range: one line, no hints (the message names the flag and the range). */
export class InvalidFlagError extends BaseError {
  override name = 'InvalidFlagError'
  override code = 'invalid-flag'
}

export type UnreachableRelay = { url: string; error?: string | undefined }

/** No relay answered: an empty market would be a lie, so the client says which relays failed and why. */
export class RelaysUnreachableError extends BaseError {
  override name = 'RelaysUnreachableError'
  override code = 'relays-unreachable'
  readonly relays: UnreachableRelay[]
  constructor({ relays, timeoutMs }: { relays: UnreachableRelay[]; timeoutMs: number }) {
    super(`Could not reach any relay within ${timeoutMs} ms (${relays.length} tried).`, {
      docsPath,
      metaMessages: [
        ...relays.map((r) => `- ${redactUrl(r.url)}: ${r.error ?? 'no answer'}`),
        'Check the URLs (--relay or INFERNET_RELAYS), that the relays run, and this machine\'s network.',
      ],
    })
    this.relays = relays
  }
}

export class NoNodeForModelError extends BaseError {
  override name = 'NoNodeForModelError'
  override code = 'no-node-for-model'
  readonly model: string
  constructor({ model, reason, known = [] }: { model: string; reason?: string | undefined; known?: string[] | undefined }) {
    super(`No live node serves model "${model}"${reason ? ` (${reason})` : ''}.`, {
      docsPath,
      metaMessages: [
        'Check that:',
        '- the model id is spelled as nodes announce it (`infernet models` lists them),',
        '- the relays (or the coordinator) you use are the ones the nodes publish to,',
        '- your maxPrice / routing policy (pin, region) does not exclude every node.',
        ...(known.length ? [`Models on offer now: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}`] : []),
      ],
    })
    this.model = model
  }
}

/**
 * Live nodes serve the model, but none with every feature the request asks for (tools, vision, json_schema,
 * logprobs, reasoning: src/protocol/features.ts). Told apart from NoNodeForModelError so the caller knows which
 * field to drop, or that it must wait for a node whose model has the feature.
 */
export class UnsupportedFeatureError extends BaseError {
  override name = 'UnsupportedFeatureError'
  override code = 'unsupported-feature'
  readonly model: string
  /** The features no live node serving the model offers together with the others asked for. */
  readonly features: ModelFeature[]
  /** Live nodes serving the model without them. */
  readonly without: number
  constructor(shortfall: FeatureShortfall) {
    super(`${capitalize(describeShortfall(shortfall))}.`, {
      docsPath: 'capability.md',
      metaMessages: [
        `Drop ${shortfall.missing.map((f) => featureParam[f]).filter((p, i, all) => all.indexOf(p) === i).join(', ')} from the request, pick a model whose nodes announce ${shortfall.missing.join(', ')} (\`infernet models\`), or retry when such a node is live.`,
      ],
    })
    this.model = shortfall.model
    this.features = shortfall.missing
    this.without = shortfall.without
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1)

/**
 * `code`: the node's error code when it refused or failed with one (`busy`, `backend`, ...); `job`: the request id
 * when a job was sent (absent when the node was skipped before sending, e.g. over the budget).
 */
export type CandidateFailure = { node: string; reason: string; code?: string | undefined; job?: string | undefined }

export class AllCandidatesFailedError extends BaseError {
  override name = 'AllCandidatesFailedError'
  override code = 'all-candidates-failed'
  readonly failures: CandidateFailure[]
  constructor({ model, failures }: { model: string; failures: CandidateFailure[] }) {
    super(`Every node tried for model "${model}" failed (${failures.length} tried).`, {
      docsPath,
      metaMessages: [...failures.map((f) => `- node ${f.node.slice(0, 12)}…: ${f.reason}`), ...failureHints(failures)],
    })
    this.failures = failures
  }
}

/** What to do, for the kinds of failure seen (nips/job-status.md codes; no code: the node never answered in time). */
export function failureHints(failures: CandidateFailure[]): string[] {
  const codes = new Set(failures.map((f) => f.code))
  const hints: string[] = []
  if (codes.has('payment')) {
    hints.push(
      'A node wants to be paid: fund a channel to it (`infernet deposit <amount> --node <npub>`) and set its settlement contract (INFERNET_SETTLEMENT_ADDRESS, or the client config.json) so receipts are sent; with the SDK, pass `receipts`.',
    )
  }
  if (codes.has('bid-too-low')) hints.push('Raise maxPrice (or drop it to bid each node\'s own price).')
  if (codes.has('busy')) hints.push('Every slot was taken: retry later.')
  if (codes.has('backend')) hints.push("The node's engine failed: retry, or pin another node.")
  if (codes.has(undefined)) hints.push('Retry later, raise acceptTimeoutMs if nodes are slow to accept, or widen the routing policy.')
  return hints.length ? hints : ['Retry later, or widen the routing policy.']
}

export class DepositExhaustedError extends BaseError {
  override name = 'DepositExhaustedError'
  override code = 'deposit-exhausted'
  readonly node: string
  readonly available: bigint
  readonly needed: bigint
  constructor({ node, available, needed }: { node: string; available: bigint; needed: bigint }) {
    super(`Your deposit to node ${node.slice(0, 12)}… has ${available} base units left, and this job could cost up to ${needed}: it was not sent.`, {
      docsPath,
      metaMessages: ['Deposit more (`infernet deposit <amount> --node <npub>`), lower max_tokens, or pick a node you have a channel with.'],
    })
    this.node = node
    this.available = available
    this.needed = needed
  }
}

export class BudgetExceededError extends BaseError {
  override name = 'BudgetExceededError'
  override code = 'budget-exceeded'
  readonly budget: bigint
  readonly spent: bigint
  readonly needed: bigint
  /** What was paid for the job before the budget ran out (0n when no job was sent). */
  readonly paid: bigint
  constructor({ budget, spent, needed, paid = 0n }: { budget: bigint; spent: bigint; needed: bigint; paid?: bigint | undefined }) {
    super(`This job could cost up to ${needed} but only ${budget - spent} of the budget ${budget} is left.`, {
      docsPath,
      metaMessages: ['Raise `budget`, lower max_tokens, or pick cheaper nodes (routing: "cheapest", maxPrice).'],
    })
    this.budget = budget
    this.spent = spent
    this.needed = needed
    this.paid = paid
  }
}

export class RequestTooLargeError extends BaseError {
  override name = 'RequestTooLargeError'
  override code = 'request-too-large'
  constructor({ bytes, limit, model }: { bytes: number; limit: number; model: string }) {
    super(`The prompt is ${bytes} bytes; the largest any node serving "${model}" accepts is ${limit} bytes.`, {
      docsPath,
      metaMessages: ['Shorten the conversation (drop old messages) or split the task.'],
    })
  }
}

/** A chat request the SDK refuses before any node sees it: `param` names the generation parameter (`n`, `tools.0.function.parameters`, ...). */
export class InvalidChatRequestError extends BaseError {
  override name = 'InvalidChatRequestError'
  override code = 'invalid-chat-request'
  readonly param: string
  constructor({ param, message }: { param: string; message: string }) {
    super(`params.${param}: ${message}`, { docsPath: 'job-request.md', metaMessages: ['The generation parameters carry OpenAI Chat Completions names and bounds (src/protocol/generationParams.ts).'] })
    this.param = param
  }
}

/** An embeddings request the SDK refuses before any node sees it; `param` names the field (input, dimensions). */
export class InvalidEmbeddingRequestError extends BaseError {
  override name = 'InvalidEmbeddingRequestError'
  override code = 'invalid-embedding-request'
  readonly param: 'input' | 'dimensions'
  constructor({ param, message }: { param: 'input' | 'dimensions'; message: string }) {
    super(message, { docsPath: 'embeddings.md', metaMessages: ['Send one text or an array of texts, each non-empty, within the limits nips/embeddings.md lists.'] })
    this.param = param
  }
}

/**
 * A node's backend refused the request itself: the prompt does not fit the model's context (`too-large`), or a
 * parameter is out of the engine's range (`bad-payload`). Another node would refuse it too, so the SDK neither
 * fails over nor counts it against the node.
 */
export class RequestRejectedError extends BaseError {
  override name = 'RequestRejectedError'
  override code = 'request-rejected'
  readonly node: string
  readonly reason: 'too-large' | 'bad-payload'
  constructor({ node, reason, message, model }: { node: string; reason: 'too-large' | 'bad-payload'; message: string; model: string }) {
    super(`The node serving "${model}" refused the request: ${message}`, {
      docsPath,
      metaMessages: reason === 'too-large' ? ['Shorten the conversation (drop old messages) or lower max_tokens.'] : ['Check the generation parameters against what the model accepts.'],
    })
    this.node = node
    this.reason = reason
  }
}

export class ResultVerificationError extends BaseError {
  override name = 'ResultVerificationError'
  override code = 'result-verification'
  readonly node: string
  readonly job: string
  constructor({ node, job, reason }: { node: string; job: string; reason: string }) {
    super(`The result of job ${job.slice(0, 12)}… from node ${node.slice(0, 12)}… failed verification: ${reason}.`, {
      docsPath,
      metaMessages: [
        'The node was not paid and is excluded for the rest of this session.',
        'Do not trust the text streamed for this job; retry the request (another node will be picked).',
      ],
    })
    this.node = node
    this.job = job
  }
}

export class CancelledError extends BaseError {
  override name = 'CancelledError'
  override code = 'cancelled'
  constructor({ job }: { job?: string | undefined } = {}) {
    super(`The request was cancelled${job ? ` (job ${job.slice(0, 12)}…)` : ''}.`, { docsPath, metaMessages: ['The node was told to stop; nothing is owed for the cancelled job.'] })
  }
}

/** A node failed after tokens were delivered and the stream could not continue elsewhere. */
export class StreamInterruptedError extends BaseError {
  override name = 'StreamInterruptedError'
  override code = 'stream-interrupted'
  readonly deliveredChars: number
  /** The job that failed mid-stream. */
  readonly job: string | undefined
  constructor({ node, reason, deliveredChars, resume, job }: { node: string; reason: string; deliveredChars: number; resume: boolean; job?: string | undefined }) {
    super(`Node ${node.slice(0, 12)}… failed mid-stream after ${deliveredChars} characters: ${reason}.`, {
      docsPath,
      metaMessages: resume
        ? ['No other node could continue the stream. Retry the request.']
        : ['Resumption is off (`resume: false`); turn it on to continue on another node automatically.'],
    })
    this.deliveredChars = deliveredChars
    this.job = job
  }
}

export class InvalidRoutingPolicyError extends BaseError {
  override name = 'InvalidRoutingPolicyError'
  override code = 'invalid-routing-policy'
  constructor(value: string) {
    super(`Unknown routing policy "${value}".`, {
      docsPath,
      metaMessages: ['Use reliable, cheapest, fastest, pin:<npub>, or region:<name> (--routing or INFERNET_ROUTING).'],
    })
  }
}

export class ClientClosedError extends BaseError {
  override name = 'ClientClosedError'
  override code = 'client-closed'
  constructor() {
    super('The Infernet client is closed.', { docsPath, metaMessages: ['Create a new InfernetClient.'] })
  }
}
