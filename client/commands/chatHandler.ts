// `infernet chat <prompt>`: streams the answer's deltas to stdout, then prints usage and cost to stderr.
import { npubEncode } from 'nostr-tools/nip19'
import { printJson } from '../../src/cli/command.ts'
import { formatNative, formatTokenAmount } from '../../src/payments/units.ts'
import type { ChatResult } from '../client.ts'
import { NoNodeForModelError } from '../errors.ts'
import type { ChatCommandArguments } from './arguments.ts'
import type { PaymentOutcome } from './chatPayments.ts'
import { openClient } from './openClient.ts'

/** Streams the answer; returns the exit code (0, or 130 when interrupted). */
export async function runChat(argv: ChatCommandArguments): Promise<number> {
  const { client, config, payments, close } = openClient(argv, { pay: true })
  try {
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    let model = config.model
    if (!model) {
      const models = await client.models()
      if (models.length === 0) throw new NoNodeForModelError({ model: '(any)', reason: 'no live node on these relays' })
      model = models[0]!.id
    }
    const messages = [...(argv.system ? [{ role: 'system' as const, content: argv.system }] : []), { role: 'user' as const, content: argv.prompt }]
    const stream = client.chat({
      model,
      messages,
      params: {
        ...(argv['max-tokens'] !== undefined ? { max_tokens: argv['max-tokens'] } : {}),
        ...(argv.temperature !== undefined ? { temperature: argv.temperature } : {}),
      },
    })
    let interrupted = false
    const onSignal = () => {
      interrupted = true
      stream.cancel()
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let result: ChatResult
    try {
      for await (const d of stream) {
        if (argv.json) printJson({ delta: d.text })
        else process.stdout.write(d.text)
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
    if (argv.json) printJson({ result, payment: outcome ?? { paid: false, reason: result.cost === 0n ? 'free' : noPaymentReason(payments !== undefined) } })
    else {
      process.stdout.write('\n')
      process.stderr.write(
        `[${model} on ${npubEncode(result.node)}: ${result.usage.promptTokens}+${result.usage.completionTokens} tokens, ${describePayment(result.cost, outcome, payments !== undefined)}, ttft ${result.ttftMs} ms${result.resumed ? ', resumed on another node' : ''}]\n`,
      )
    }
    return 0
  } finally {
    await close()
  }
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
