// `infernet chat <prompt>`: streams the answer's deltas to stdout (tool calls after it as JSON lines), then prints
// usage and cost to stderr; --n runs that many choices, one job each, one after another.
import { npubEncode } from 'nostr-tools/nip19'
import { printJson } from '../../src/cli/command.ts'
import { formatNative, formatTokenAmount } from '../../src/payments/units.ts'
import type { ChatResult } from '../client.ts'
import { NoNodeForModelError } from '../errors.ts'
import type { ChatCommandArguments } from './arguments.ts'
import type { PaymentOutcome } from './chatPayments.ts'
import { openClient } from './openClient.ts'
import { chatRequestFromFlags } from './chatRequest.ts'
import type { ChatMessage } from '../../src/protocol/jobRequest.ts'
import { choiceParams, type GenerationParams } from '../../src/protocol/generationParams.ts'

/** Streams the answer; returns the exit code (0, or 130 when interrupted). */
export async function runChat(argv: ChatCommandArguments): Promise<number> {
  // Flags first: a bad one (an unreadable --tools file, a schema that is not an object) is said before any relay work.
  const request = await chatRequestFromFlags(argv)
  const { client, config, payments, close } = openClient(argv, { pay: true })
  try {
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    let model = config.model
    if (!model) {
      const models = await client.models()
      if (models.length === 0) throw new NoNodeForModelError({ model: '(any)', reason: 'no live node on these relays' })
      model = models[0]!.id
    }
    const choices = argv.n ?? 1
    for (let i = 0; i < choices; i++) {
      // Each choice its own job, its seed (when given) shifted by i as the gateway does.
      const params = choiceParams(request.params, i)
      if (choices > 1 && !argv.json) process.stderr.write(`[choice ${i + 1} of ${choices}]\n`)
      const code = await runOneChoice(client, { model, messages: request.messages, params }, argv, payments, choices > 1 ? i : undefined)
      if (code !== 0) return code
    }
    return 0
  } finally {
    await close()
  }
}

type OpenedClient = ReturnType<typeof openClient>

/** One job: streams its deltas (text to stdout; reasoning to stderr), then tool calls, logprobs and the footer. */
async function runOneChoice(
  client: OpenedClient['client'],
  request: { model: string; messages: ChatMessage[]; params: GenerationParams },
  argv: ChatCommandArguments,
  payments: OpenedClient['payments'],
  index: number | undefined,
): Promise<number> {
  const { model } = request
  const stream = client.chat(request)
  let interrupted = false
  const onSignal = () => {
    interrupted = true
    stream.cancel()
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const choice = index === undefined ? {} : { choice: index }
  let result: ChatResult
  try {
    for await (const d of stream) {
      if (argv.json) printJson({ ...choice, delta: d.text, ...(d.reasoning ? { reasoning: d.reasoning } : {}), ...(d.toolCalls ? { toolCalls: d.toolCalls } : {}), ...(d.logprobs ? { logprobs: d.logprobs } : {}) })
      else {
        if (d.reasoning) process.stderr.write(d.reasoning)
        process.stdout.write(d.text)
      }
    }
    result = await stream.result
  } catch (err) {
    if (interrupted) return 130
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const outcome = payments?.outcome(result.node)
  if (argv.json) printJson({ ...choice, result, payment: outcome ?? { paid: false, reason: result.cost === 0n ? 'free' : noPaymentReason(payments !== undefined) } })
  else {
    if (result.text) process.stdout.write('\n')
    // One JSON line per call, for a script (or a person) to run the function and send its result back.
    for (const call of result.toolCalls) process.stdout.write(`${JSON.stringify({ tool_call: call })}\n`)
    if (result.logprobs?.length) {
      for (const l of result.logprobs) process.stderr.write(`${JSON.stringify(l.token)}\t${l.logprob.toFixed(4)}${l.top_logprobs?.length ? `\t${l.top_logprobs.map((t) => `${JSON.stringify(t.token)}:${t.logprob.toFixed(2)}`).join(' ')}` : ''}\n`)
    }
    process.stderr.write(
      `[${model} on ${npubEncode(result.node)}: ${result.usage.promptTokens}+${result.usage.completionTokens} tokens, finish ${result.finishReason}, ${describePayment(result.cost, outcome, payments !== undefined)}, ttft ${result.ttftMs} ms${result.resumed ? ', resumed on another node' : ''}]\n`,
    )
  }
  return 0
}

/** The footer's payment part: what this job cost, what was paid for it, and what the deposit has left. */
export function describePayment(cost: bigint, outcome: PaymentOutcome | undefined, canPay: boolean): string {
  if (cost === 0n) return 'free'
  if (outcome?.paid) {
    const show = (v: bigint) => formatTokenAmount(v, outcome.token)
    const ahead = outcome.prepaid > 0n ? `, ${show(outcome.prepaid)} of it paid ahead for later jobs` : ''
    return `paid ${show(cost)} (${show(outcome.cumulative)} of your ${show(outcome.deposit)} deposit signed over${ahead}; ${show(outcome.left)} left)`
  }
  return `cost ${formatNative(cost)}, NOT paid: ${outcome?.reason ?? noPaymentReason(canPay)}`
}

function noPaymentReason(canPay: boolean): string {
  return canPay ? 'the node names no settlement contract on the chain this client uses' : 'no settlement contract configured (set INFERNET_SETTLEMENT_ADDRESS or the chain keys in config.json)'
}
