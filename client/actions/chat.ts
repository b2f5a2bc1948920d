// The chat action: route one chat request over the ranked candidates, fail over before the first token, resume
// mid-stream on another node (the delivered text goes back as a partial assistant message), verify the signed
// result and pay for it. Every dependency comes in through `client`, so the loop runs without the SDK class.
// Behaviour is specified in nips/client.md.
import { messagesBytes } from '../../src/protocol/worstCase.ts'
import { featuresOf, requiredFeatures } from '../../src/protocol/features.ts'
import { parseModelRef } from '../../src/protocol/modelDigest.ts'
import { generationParams, type GenerationParams } from '../../src/protocol/generationParams.ts'
import { payloadVersionFor, type ChatMessage, type UnsentJobPayload } from '../../src/protocol/jobRequest.ts'
import type { ToolCall } from '../../src/protocol/chatMessage.ts'
import { assembleOutput, type StructuredDelta, type TokenLogprob, type ToolCallFragment } from '../../src/protocol/streamDelta.ts'
import { maxJobPayloadBytes } from '../../src/protocol/limits.ts'
import { usageDetails, type ResultUsage } from '../../src/protocol/jobResult.ts'
import { amountDue, isFree } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import type {
  RequestRejectedError,
  ResultVerificationError} from '../errors.ts';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  ClientClosedError,
  type DepositExhaustedError,
  InvalidChatRequestError,
  NoNodeForModelError,
  RequestTooLargeError,
  StreamInterruptedError,
  type CandidateFailure,
  type UnsupportedFeatureError,
} from '../errors.ts'
import { priceFor, summarizeModels } from '../market.ts'
import { eligible, rankCandidates, unsupportedFeature, type RoutingPolicy } from '../routing.ts'
import { runAttempt } from '../runAttempt.ts'
import { recordOutcome } from '../session.ts'
import { verifyResult } from '../verifyResult.ts'
import { payAhead } from './prepay.ts'
import { payResult, refuseResult, requestRejection } from './attemptOutcome.ts'
import { budgetLeft, type ChatClient } from './actionClient.ts'

export type ChatParameters = {
  model: string
  messages: ChatMessage[]
  /** Generation parameters (OpenAI names; other fields pass through to the node's backend), sent to the node as they are. */
  params?: GenerationParams | undefined
  maxPrice?: Price | undefined
  routing?: RoutingPolicy | undefined
  signal?: AbortSignal | undefined
  /**
   * Most this one request may cost (base units), within the client's `budget`: a node whose worst case for it is
   * above this is skipped, and its receipt never pays more. A gateway holds this much of a caller's budget.
   */
  budget?: bigint | undefined
}

/**
 * One piece of output. `text` is always there (empty when the piece is something else); a v2 job adds the model's
 * reasoning, tool-call fragments (OpenAI's streaming shape: index, then id and name first, argument pieces after)
 * and logprobs.
 */
export type ChatDelta = { type: 'delta'; text: string; reasoning?: string | undefined; toolCalls?: ToolCallFragment[] | undefined; logprobs?: TokenLogprob[] | undefined }
export type ChatJob = {
  id: string
  node: string
  outcome: 'ok' | 'failed-before-first-token' | 'failed-mid-stream'
  reason?: string | undefined
  /** How the job travelled: straight to the node's stream endpoint, or through relays. */
  transport?: 'direct' | 'relay' | undefined
}

export type ChatResult = {
  text: string
  /** The calls the model made (a v2 job), assembled from the streamed fragments; empty otherwise. */
  toolCalls: ToolCall[]
  /** The model's reasoning, where the engine streams it apart from the text (a v2 job). */
  reasoning: string
  /** Per-token logprobs, when the request asked for them. */
  logprobs?: TokenLogprob[] | undefined
  /**
   * The node's counts (what the amount is for), with `reasoningTokens` (of the completion tokens) and
   * `cachedPromptTokens` (of the prompt tokens) where the node's result says them.
   */
  usage: ResultUsage
  model: string
  /** Pubkey of the node that finished. */
  node: string
  cost: bigint
  /** stop, length, tool_calls, or what the engine said. */
  finishReason: string
  ttftMs: number
  jobs: ChatJob[]
  /** True when the stream continued on another node after a mid-stream failure. */
  resumed: boolean
}

export type ChatReturnType = ChatResult

export type ChatErrorType =
  | AllCandidatesFailedError
  | BudgetExceededError
  | CancelledError
  | ClientClosedError
  | DepositExhaustedError
  | InvalidChatRequestError
  | NoNodeForModelError
  | RequestTooLargeError
  | RequestRejectedError
  | ResultVerificationError
  | StreamInterruptedError
  | UnsupportedFeatureError

export type { ChatClient, ChatConfig } from './actionClient.ts'
export { budgetLeft } from './actionClient.ts'

export type ChatActionParameters = ChatParameters & {
  /** Each piece of output as it streams, across failovers, in order. */
  onDelta?: ((delta: ChatDelta) => void) | undefined
}

export async function chat(client: ChatClient, params: ChatActionParameters): Promise<ChatReturnType> {
  if (client.closed()) throw new ClientClosedError()
  const { signer, config, session, logger, clock } = client
  const signal = params.signal ?? new AbortController().signal
  const emit = params.onDelta ?? (() => {})
  const nowSeconds = () => Math.floor(clock() / 1000)
  const started = clock()
  // `tiny-a@sha256:5f0c…` asks for those weights: the node is sent the plain id, routing keeps only nodes that announce them.
  const { id: model, digest } = parseModelRef(params.model)
  const { messages } = params
  // A parameter every node would refuse is the caller's to fix: said here, naming it, before any routing or payment.
  const checked = generationParams.safeParse(params.params ?? {})
  if (!checked.success) {
    const issue = checked.error.issues[0]!
    throw new InvalidChatRequestError({ param: issue.path.join('.') || '(params)', message: issue.message })
  }
  // Plain text chats stay v1, which every node speaks; tools, parts and structured output need v2.
  const askedVersion = payloadVersionFor(messages, params.params)
  // A model that reasons gets a v2 job even for plain text: a v1 stream carries text only, so its reasoning (and the
  // count of it) would be dropped. A resumed stream stays v1: it continues text.
  const versionFor = (node: (typeof candidates)[number]): 1 | 2 =>
    askedVersion === 2 || (!delivered && featuresOf(node.capability.models.find((m) => m.id === model)).includes('reasoning')) ? 2 : 1
  const policy = params.routing ?? config.routing
  const maxPrice = params.maxPrice ?? config.maxPrice
  const promptBytes = messagesBytes(messages)
  if (promptBytes > maxJobPayloadBytes) throw new RequestTooLargeError({ bytes: promptBytes, limit: maxJobPayloadBytes, model })

  // What the request asks of the model beyond text (tools, images, a schema, ...): only nodes announcing it qualify.
  const features = requiredFeatures({ messages, params: params.params })
  const all = await client.nodes({ model, routing: policy, features })
  const live = all.filter((n) => n.live)
  if (live.length === 0) {
    const known = client.hostedSource ? [] : summarizeModels(await client.nodes({})).map((m) => m.id)
    throw new NoNodeForModelError({ model, known })
  }
  const fitting = live.filter((n) => promptBytes <= n.capability.maxPromptBytes)
  if (fitting.length === 0) throw new RequestTooLargeError({ bytes: promptBytes, limit: Math.max(...live.map((n) => n.capability.maxPromptBytes)), model })
  const now = nowSeconds()
  const candidates =
    client.hostedSource === 'nodeSource'
      ? eligible({ nodes: fitting, model, digest, now, maxPrice, bad: session.bad, features })
      : rankCandidates({ nodes: fitting, model, digest, policy, now, maxPrice, history: session.history, bad: session.bad, features })
  if (candidates.length === 0) {
    throw unsupportedFeature({ nodes: live, model, digest, features, now }) ?? new NoNodeForModelError({ model, reason: digest ? `no live node serves ${model} with weights ${digest}` : 'no live node matches the routing policy, the price ceiling, or every match failed verification' })
  }

  let delivered = ''
  let ttftMs: number | undefined
  let budgetError: BudgetExceededError | DepositExhaustedError | undefined
  let attempts = 0
  const jobs: ChatJob[] = []
  const failures: CandidateFailure[] = []
  for (const node of candidates) {
    if (attempts >= config.maxAttempts) break
    if (signal.aborted) throw new CancelledError()
    const price = priceFor(node, model)
    const attemptMessages: ChatMessage[] = delivered ? [...messages, { role: 'assistant', content: delivered }] : messages
    const attemptPromptBytes = messagesBytes(attemptMessages)
    const limit = budgetLeft(config.budget, session.spent, params.budget)
    if (limit !== undefined && !isFree(price)) {
      // Worst case: one token per prompt byte, and max_tokens of output (none when unbounded).
      const needed = amountDue({ promptTokens: attemptPromptBytes, completionTokens: params.params?.max_tokens ?? 0 }, price)
      if (needed > limit.left) {
        budgetError = new BudgetExceededError({ budget: limit.budget, spent: limit.spent, needed })
        failures.push({ node: node.pubkey, reason: `could cost ${needed}, over the remaining budget` })
        continue
      }
    }
    let attemptParams = params.params
    if (!isFree(price) && client.receipts) {
      const ahead = await payAhead(client, { node, price, messages: attemptMessages, params: params.params, receipts: client.receipts, timeoutMs: config.acceptTimeoutMs })
      if (!ahead.ok) {
        budgetError = ahead.error ?? budgetError
        failures.push(ahead.failure)
        continue
      }
      attemptParams = ahead.params
    }
    attempts++
    const version = versionFor(node)
    let jobId = ''
    const outcome = await runAttempt({
      signer,
      pool: client.pool,
      channels: client.channels,
      verifier: client.verifier,
      node,
      payload: {
        v: version,
        model,
        messages: attemptMessages,
        params: attemptParams ?? {},
        bid: maxPrice ?? price,
        ...(delivered ? { continue: true } : {}),
      } as UnsentJobPayload,
      acceptTimeoutMs: config.acceptTimeoutMs,
      firstTokenTimeoutMs: config.firstTokenTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      now: nowSeconds(),
      logger,
      signal,
      onJob: (id) => (jobId = id),
      onDelta: (d) => {
        ttftMs ??= clock() - started
        emit(toChatDelta(d))
      },
    })
    jobId = outcome.job
    if (!outcome.ok) {
      const outcomeName = outcome.phase === 'mid-stream' ? 'failed-mid-stream' : 'failed-before-first-token'
      jobs.push({ id: jobId, node: node.pubkey, outcome: outcomeName, reason: outcome.reason, transport: outcome.transport })
      if (outcome.cancelled && signal.aborted) throw new CancelledError({ job: jobId })
      // A node that does not speak this payload version is no reason to give up: another may.
      const rejection = requestRejection(outcome, node.pubkey, model)
      if (rejection) throw rejection
      recordOutcome(session, node.pubkey, false)
      failures.push({ node: node.pubkey, reason: outcome.reason, job: jobId, ...(outcome.code ? { code: outcome.code } : {}) })
      logger.info('node failed, trying the next one', { node: node.pubkey.slice(0, 12), job: jobId.slice(0, 12), phase: outcome.phase, code: outcome.code })
      delivered += outcome.text
      // A v2 reply cut mid-stream cannot be resumed as text: a partial tool call is no prefix to continue from.
      if (version === 2 && (outcome.text || outcome.output.tool_calls?.length || outcome.output.reasoning)) {
        throw new StreamInterruptedError({ node: node.pubkey, reason: outcome.reason, deliveredChars: delivered.length, resume: false, job: jobId })
      }
      if (delivered && !config.resume) {
        throw new StreamInterruptedError({ node: node.pubkey, reason: outcome.reason, deliveredChars: delivered.length, resume: false, job: jobId })
      }
      continue
    }

    const verified = verifyResult({
      event: outcome.resultEvent,
      content: outcome.resultContent,
      node: node.pubkey,
      job: jobId,
      client: signer.pubkey,
      model,
      text: outcome.text,
      output: version === 2 ? assembleOutput([outcome.output]) : undefined,
      price,
      messages: attemptMessages,
      params: attemptParams,
      now: nowSeconds(),
      verifier: client.verifier,
    })
    if (!verified.ok) throw await refuseResult(client, { node: node.pubkey, job: jobId, resultEvent: outcome.resultEvent, verified })
    jobs.push({ id: jobId, node: node.pubkey, outcome: 'ok', transport: outcome.transport })
    const r = verified.result
    const cost = await payResult(client, { node, job: jobId, amount: r.amount, budget: params.budget })
    const assembled = assembleOutput([outcome.output])
    return {
      text: delivered + outcome.text,
      toolCalls: assembled.toolCalls,
      reasoning: assembled.reasoning,
      ...(outcome.output.logprobs ? { logprobs: outcome.output.logprobs } : {}),
      // A detail beyond the count it is part of is the node's error, not the caller's: dropped.
      usage: { ...r.usage, ...usageDetails({ ...r.usage, ...(outcome.resultContent.ok ? outcome.resultContent.data.details : undefined) }) },
      model,
      node: node.pubkey,
      cost,
      finishReason: r.finishReason,
      ttftMs: ttftMs ?? clock() - started,
      jobs,
      resumed: delivered.length > 0,
    }
  }
  if (attempts === 0 && budgetError) throw budgetError
  if (delivered) {
    const last = failures[failures.length - 1]
    throw new StreamInterruptedError({ node: last?.node ?? '?', reason: last?.reason ?? 'no node left to continue', deliveredChars: delivered.length, resume: true, job: last?.job })
  }
  throw new AllCandidatesFailedError({ model, failures })
}

function toChatDelta(d: StructuredDelta): ChatDelta {
  const out: ChatDelta = { type: 'delta', text: d.text ?? '' }
  if (d.reasoning) out.reasoning = d.reasoning
  if (d.tool_calls?.length) out.toolCalls = d.tool_calls
  if (d.logprobs?.length) out.logprobs = d.logprobs
  return out
}
