// `infernet audit`: audits one node's model against a reference and publishes the signed verdict (kind 3835,
// nips/audit-verdict.md), signed with this home's key: the auditor. The audit jobs themselves come from keys made
// for each job, so the node cannot tell them from any client's greedy jobs by their author; such keys hold no
// deposit, so a node that serves only paid work refuses them. `--pay-from <home>` sends them from that home's key,
// paid from its deposits like its chats.
import { randomInt } from 'node:crypto'
import WebSocket from 'ws'
import { npubEncode } from 'nostr-tools/nip19'
import { printJson, table } from '../../src/cli/command.ts'
import { formatTokenAmount } from '../../src/payments/units.ts'
import { parsePublicKey } from '../../src/keys/identity.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildAuditVerdict } from '../../src/protocol/auditVerdict.ts'
import { runAudit } from '../audit/runAudit.ts'
import { auditPrompts } from '../audit/prompts.ts'
import { clientRunner, engineRunner, nodeRunner } from '../audit/runners.ts'
import { featuresOf } from '../../src/protocol/features.ts'
import { InvalidFlagError, NoNodeForModelError } from '../errors.ts'
import type { AuditCommandArguments } from './arguments.ts'
import { openClient } from './openClient.ts'

export async function runAuditCommand(argv: AuditCommandArguments): Promise<number> {
  const { client, config, close } = openClient(argv)
  let payer: ReturnType<typeof openClient> | undefined
  try {
    if (argv['pay-from']) {
      payer = openClient({ ...argv, home: argv['pay-from'] }, { pay: true })
      if (!payer.payments) throw new InvalidFlagError(`--pay-from ${argv['pay-from']}: that home has no settlement contract configured (INFERNET_SETTLEMENT_ADDRESS, INFERNET_CHAIN_RPC), so it cannot pay for the audit jobs`)
    }
    const node = parsePublicKey(argv.node)
    await client.ready({ timeoutMs: config.discoveryTimeoutMs })
    const entry = (await client.nodes({ model: argv.model })).find((n) => n.pubkey === node)
    if (!entry) throw new NoNodeForModelError({ model: argv.model, reason: `node ${npubEncode(node)} does not announce it on these relays` })
    const announced = entry.capability.models.find((m) => m.id === argv.model)
    // A verdict names the weights it checked: without the node's claim or the operator's word there is nothing to name.
    const digest = announced?.digest ?? argv.digest
    if (!digest && !argv['reference-node']) {
      throw new InvalidFlagError(`node ${npubEncode(node)} announces no digest for ${argv.model}: give --digest (the sha256: of the weights the reference engine serves) so the verdict says what was checked`)
    }
    await payer?.client.ready({ timeoutMs: config.discoveryTimeoutMs })
    const method = argv.method === undefined || argv.method === 'auto' ? (featuresOf(announced).includes('logprobs') ? 'greedy-logprob' : 'greedy-prefix') : argv.method
    const ws = WebSocket as unknown as WebSocketConstructor
    const referenceNode = argv['reference-node'] ? parsePublicKey(argv['reference-node']) : undefined
    const seed = argv.seed ?? randomInt(2 ** 31)
    const audit = await runAudit({
      node,
      model: argv.model,
      digest,
      jobs: auditPrompts(argv.jobs, seed),
      maxTokens: argv['max-tokens'],
      seed,
      method,
      threshold: argv.threshold,
      onNode: payer ? clientRunner({ client: payer.client, node }) : nodeRunner({ relays: config.relays, node, WebSocket: ws, acceptTimeoutMs: config.acceptTimeoutMs }),
      onReference: referenceNode ? nodeRunner({ relays: config.relays, node: referenceNode, WebSocket: ws, acceptTimeoutMs: config.acceptTimeoutMs }) : engineRunner({ url: argv['reference-url']! }),
      reference: referenceNode ? { kind: 'node', pubkey: referenceNode } : { kind: 'engine', digest: digest! },
    })
    const event = await buildAuditVerdict(client.signer, audit.verdict)
    const pass = audit.verdict.score <= audit.verdict.threshold
    if (!argv['dry-run']) await client.pool.publish(event)
    // The channel after the audit's jobs, when --pay-from paid them.
    const payment = payer?.payments?.outcome(node)
    if (argv.json) printJson({ verdict: pass ? 'pass' : 'fail', method, score: audit.verdict.score, threshold: audit.verdict.threshold, seed, jobs: audit.jobs, payment, event: argv['dry-run'] ? undefined : event })
    else {
      process.stdout.write(table(audit.jobs.map((j) => ({ job: j.job, score: j.score.toFixed(4), samples: j.samples }))) + '\n')
      process.stdout.write(
        `${pass ? 'pass' : 'FAIL'}: ${argv.model} on ${npubEncode(node)}, ${method} score ${audit.verdict.score.toFixed(4)} (threshold ${audit.verdict.threshold}, seed ${seed})${argv['dry-run'] ? '; not published (--dry-run)' : `; verdict ${event.id} published`}${payment?.paid ? `; jobs paid from ${argv['pay-from']} (${formatTokenAmount(payment.cumulative, payment.token)} signed over to the node)` : ''}\n`,
      )
    }
    return 0
  } finally {
    await payer?.close()
    await close()
  }
}
