// `infernet audit`: audits one node's model against a reference and publishes the signed verdict (kind 3835,
// nips/audit-verdict.md), signed with this home's key: the auditor. The audit jobs themselves come from keys made
// for each job, so the node cannot tell them from any client's greedy jobs by their author.
import { randomInt } from 'node:crypto'
import WebSocket from 'ws'
import { npubEncode } from 'nostr-tools/nip19'
import { printJson, table } from '../../src/cli/command.ts'
import { parsePublicKey } from '../../src/keys/identity.ts'
import type { WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildAuditVerdict } from '../../src/protocol/auditVerdict.ts'
import { runAudit } from '../audit/runAudit.ts'
import { auditPrompts } from '../audit/prompts.ts'
import { engineRunner, nodeRunner } from '../audit/runners.ts'
import { featuresOf } from '../../src/protocol/features.ts'
import { InvalidFlagError, NoNodeForModelError } from '../errors.ts'
import type { AuditCommandArguments } from './arguments.ts'
import { openClient } from './openClient.ts'

export async function runAuditCommand(argv: AuditCommandArguments): Promise<number> {
  const { client, config, close } = openClient(argv)
  try {
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
      onNode: nodeRunner({ relays: config.relays, node, WebSocket: ws, acceptTimeoutMs: config.acceptTimeoutMs }),
      onReference: referenceNode ? nodeRunner({ relays: config.relays, node: referenceNode, WebSocket: ws, acceptTimeoutMs: config.acceptTimeoutMs }) : engineRunner({ url: argv['reference-url']! }),
      reference: referenceNode ? { kind: 'node', pubkey: referenceNode } : { kind: 'engine', digest: digest! },
    })
    const event = await buildAuditVerdict(client.signer, audit.verdict)
    const pass = audit.verdict.score <= audit.verdict.threshold
    if (!argv['dry-run']) await client.pool.publish(event)
    if (argv.json) printJson({ verdict: pass ? 'pass' : 'fail', method, score: audit.verdict.score, threshold: audit.verdict.threshold, seed, jobs: audit.jobs, event: argv['dry-run'] ? undefined : event })
    else {
      process.stdout.write(table(audit.jobs.map((j) => ({ job: j.job, score: j.score.toFixed(4), samples: j.samples }))) + '\n')
      process.stdout.write(
        `${pass ? 'pass' : 'FAIL'}: ${argv.model} on ${npubEncode(node)}, ${method} score ${audit.verdict.score.toFixed(4)} (threshold ${audit.verdict.threshold}, seed ${seed})${argv['dry-run'] ? '; not published (--dry-run)' : `; verdict ${event.id} published`}\n`,
      )
    }
    return 0
  } finally {
    await close()
  }
}
