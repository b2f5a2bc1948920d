// The embed action: route one embeddings request to the best node whose model announces `embeddings`, fail over
// until one answers, verify the signed result (hash of the streamed vectors, usage bounds, amount) and pay for it.
// An embeddings job streams its vectors as text (src/protocol/embeddingJob.ts), so it runs on the chat action's
// attempt (runAttempt); there is nothing to resume: a failed attempt starts again on the next node.
// Behaviour is specified in nips/embeddings.md.
import { checkEmbeddingRequest, decodeEmbeddings, embeddingInputBytes, embeddingPayloadVersion, embeddingWorstCaseUsage } from '../../src/protocol/embeddingJob.ts'
import type { ModelFeature } from '../../src/protocol/features.ts'
import { parseModelRef } from '../../src/protocol/modelDigest.ts'
import { amountDue, isFree } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import type {
  RequestRejectedError} from '../errors.ts';
import {
  AllCandidatesFailedError,
  BudgetExceededError,
  CancelledError,
  ClientClosedError,
  type DepositExhaustedError,
  InvalidEmbeddingRequestError,
  NoNodeForModelError,
  RequestTooLargeError,
  ResultVerificationError,
  type CandidateFailure,
  type UnsupportedFeatureError,
} from '../errors.ts'
import { priceFor, summarizeModels } from '../market.ts'
import { eligible, rankCandidates, unsupportedFeature, type RoutingPolicy } from '../routing.ts'
import { runAttempt } from '../runAttempt.ts'
import { recordOutcome } from '../session.ts'
import { verifyResult } from '../verifyResult.ts'
import { budgetLeft, type ChatClient } from './actionClient.ts'
import type { ChatJob } from './chat.ts'
import { payResult, refuseResult, requestRejection } from './attemptOutcome.ts'
import { payAheadAmount } from './prepay.ts'

export type EmbedParameters = {
  model: string
  /** One text or several (at most maxEmbeddingInputs, maxEmbeddingInputBytes in all); token arrays are refused. */
  input: string | string[]
  /** Shorter vectors, for a model that can cut its own (the node refuses it otherwise). */
  dimensions?: number | undefined
  maxPrice?: Price | undefined
  routing?: RoutingPolicy | undefined
  signal?: AbortSignal | undefined
  /** Most this request may cost (base units), within the client's budget. */
  budget?: bigint | undefined
}

export type EmbedReturnType = {
  /** One vector per input, in input order (float32 values, as the engine computed them). */
  data: { embedding: number[]; index: number }[]
  usage: { promptTokens: number; totalTokens: number }
  model: string
  /** Pubkey of the node that answered. */
  node: string
  cost: bigint
  jobs: ChatJob[]
}

export type EmbedErrorType =
  | AllCandidatesFailedError
  | BudgetExceededError
  | CancelledError
  | ClientClosedError
  | DepositExhaustedError
  | InvalidEmbeddingRequestError
  | NoNodeForModelError
  | RequestRejectedError
  | RequestTooLargeError
  | ResultVerificationError
  | UnsupportedFeatureError

const features: readonly ModelFeature[] = ['embeddings']

export async function embed(client: ChatClient, params: EmbedParameters): Promise<EmbedReturnType> {
  if (client.closed()) throw new ClientClosedError()
  const { signer, config, session, logger, clock } = client
  const checked = checkEmbeddingRequest({ input: params.input, dimensions: params.dimensions })
  if (!checked.ok) throw new InvalidEmbeddingRequestError(checked)
  const { input, dimensions } = checked
  const signal = params.signal ?? new AbortController().signal
  const nowSeconds = () => Math.floor(clock() / 1000)
  const { id: model, digest } = parseModelRef(params.model)
  const policy = params.routing ?? config.routing
  const maxPrice = params.maxPrice ?? config.maxPrice
  const bytes = embeddingInputBytes(input)

  const live = (await client.nodes({ model, routing: policy, features: [...features] })).filter((n) => n.live)
  if (live.length === 0) {
    const known = client.hostedSource ? [] : summarizeModels(await client.nodes({})).map((m) => m.id)
    throw new NoNodeForModelError({ model, known })
  }
  const fitting = live.filter((n) => bytes <= n.capability.maxPromptBytes)
  if (fitting.length === 0) throw new RequestTooLargeError({ bytes, limit: Math.max(...live.map((n) => n.capability.maxPromptBytes)), model })
  const now = nowSeconds()
  const candidates =
    client.hostedSource === 'nodeSource'
      ? eligible({ nodes: fitting, model, digest, now, maxPrice, bad: session.bad, features })
      : rankCandidates({ nodes: fitting, model, digest, policy, now, maxPrice, history: session.history, bad: session.bad, features })
  if (candidates.length === 0) {
    throw unsupportedFeature({ nodes: live, model, digest, features, now }) ?? new NoNodeForModelError({ model, reason: 'no live node with embeddings matches the routing policy, the price ceiling, or every match failed verification' })
  }

  let attempts = 0
  let budgetError: BudgetExceededError | DepositExhaustedError | undefined
  const jobs: ChatJob[] = []
  const failures: CandidateFailure[] = []
  for (const node of candidates) {
    if (attempts >= config.maxAttempts) break
    if (signal.aborted) throw new CancelledError()
    const price = priceFor(node, model)
    const limit = budgetLeft(config.budget, session.spent, params.budget)
    if (limit !== undefined && !isFree(price)) {
      const needed = amountDue(embeddingWorstCaseUsage(input), price)
      if (needed > limit.left) {
        budgetError = new BudgetExceededError({ budget: limit.budget, spent: limit.spent, needed })
        failures.push({ node: node.pubkey, reason: `could cost ${needed}, over the remaining budget` })
        continue
      }
    }
    if (!isFree(price) && client.receipts) {
      // A node that serves only paid work (or whose credit cannot hold this input) is paid ahead, as for chat.
      const paid = await payAheadAmount(client, { node, worstCase: amountDue(embeddingWorstCaseUsage(input), price), receipts: client.receipts, timeoutMs: config.acceptTimeoutMs })
      if (!paid.ok) {
        budgetError = paid.error ?? budgetError
        failures.push(paid.failure)
        continue
      }
    }
    attempts++
    const outcome = await runAttempt({
      signer,
      pool: client.pool,
      channels: client.channels,
      verifier: client.verifier,
      node,
      payload: { v: embeddingPayloadVersion, model, input, ...(dimensions !== undefined ? { dimensions } : {}), bid: maxPrice ?? price },
      acceptTimeoutMs: config.acceptTimeoutMs,
      firstTokenTimeoutMs: config.firstTokenTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      now: nowSeconds(),
      logger,
      signal,
      onDelta: () => {},
    })
    const jobId = outcome.job
    if (!outcome.ok) {
      jobs.push({ id: jobId, node: node.pubkey, outcome: outcome.phase === 'mid-stream' ? 'failed-mid-stream' : 'failed-before-first-token', reason: outcome.reason, transport: outcome.transport })
      if (outcome.cancelled && signal.aborted) throw new CancelledError({ job: jobId })
      // A node from before payload version 3 refuses it by version: another node may speak it.
      const rejection = requestRejection(outcome, node.pubkey, model)
      if (rejection) throw rejection
      recordOutcome(session, node.pubkey, false)
      failures.push({ node: node.pubkey, reason: outcome.reason, ...(outcome.code ? { code: outcome.code } : {}) })
      logger.info('node failed, trying the next one', { node: node.pubkey.slice(0, 12), job: jobId.slice(0, 12), code: outcome.code })
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
      embeddings: { input, dimensions },
      price,
      messages: [],
      now: nowSeconds(),
      verifier: client.verifier,
    })
    if (!verified.ok) throw await refuseResult(client, { node: node.pubkey, job: jobId, resultEvent: outcome.resultEvent, verified })
    jobs.push({ id: jobId, node: node.pubkey, outcome: 'ok', transport: outcome.transport })
    const r = verified.result
    const cost = await payResult(client, { node, job: jobId, amount: r.amount, budget: params.budget })
    // verifyResult decoded the same text: this cannot fail here.
    const decoded = decodeEmbeddings(outcome.text, { count: input.length, dimensions })
    if (!decoded.ok) throw new ResultVerificationError({ node: node.pubkey, job: jobId, reason: decoded.reason })
    return {
      data: decoded.vectors.map((embedding, index) => ({ embedding, index })),
      usage: { promptTokens: r.usage.promptTokens, totalTokens: r.usage.promptTokens },
      model,
      node: node.pubkey,
      cost,
      jobs,
    }
  }
  if (attempts === 0 && budgetError) throw budgetError
  throw new AllCandidatesFailedError({ model, failures })
}
