// The coordinator's own auditor (nips/audit-verdict.md, "The coordinator's auditor"): on by default wherever the
// operator gives it a reference engine for a digest (INFERNET_AUDIT_REFERENCES), it audits each live node announcing
// that digest as auditSchedule.ts says, one audit of one job at a time, and publishes the verdict signed with the
// coordinator's key, which its own routing trusts. The verdict comes back through the indexer like anyone's, so the
// gateway routes around a failing node exactly as an SDK trusting this key does. The audit jobs are ordinary jobs:
// through the gateway's client where the coordinator runs one (its key, its receipts), else from keys made for each
// (client/audit/runners.ts).
import { randomInt } from 'node:crypto'
import { auditPrompts } from '../../client/audit/prompts.ts'
import { runAudit } from '../../client/audit/runAudit.ts'
import { engineRunner, nodeRunner } from '../../client/audit/runners.ts'
import type { AuditRunner } from '../../client/audit/runAudit.ts'
import { silentLogger, type Logger } from '../log.ts'
import type { RelayPool, WebSocketConstructor } from '../net/relayPool.ts'
import { buildAuditVerdict } from '../protocol/auditVerdict.ts'
import { featuresOf } from '../protocol/features.ts'
import type { Signer } from '../signer.ts'
import { auditKey, dueAudits, type AuditCandidate, type LastAudit } from './auditSchedule.ts'
import type { MarketIndex } from './marketIndex.ts'

export type CoordinatorAuditorParameters = {
  market: MarketIndex
  pool: RelayPool
  relays: string[]
  signer: Signer
  WebSocket: WebSocketConstructor
  /**
   * Sends the audit jobs to `node`. Default: each from a key made for it alone (client/audit/runners.ts), which a node
   * serving only prepaid work refuses; the coordinator passes its gateway's client, which pays.
   */
  onNode?: ((node: string) => AuditRunner) | undefined
  /** Reference engine (OpenAI-compatible base URL) by the digest of the weights it serves. */
  references: ReadonlyMap<string, string>
  auditEvery: number
  intervalSeconds: number
  /** Output tokens per audit job. */
  maxTokens?: number | undefined
  /** How often to look for due audits, in ms. */
  tickMs?: number | undefined
  now: () => number
  logger?: Logger | undefined
}

/** `audits`: verdicts published; `notRun`: audits that ended without one (reference or node unreachable, job refused). */
export type CoordinatorAuditor = { close(): Promise<void>; readonly audits: number; readonly notRun: number }

export function startCoordinatorAuditor(p: CoordinatorAuditorParameters): CoordinatorAuditor {
  const logger = p.logger ?? silentLogger
  const last = new Map<string, LastAudit>()
  const references = new Set(p.references.keys())
  let running: Promise<void> | undefined
  let closed = false
  let audits = 0
  let notRun = 0

  // A restart does not audit every node again at once: this key's verdicts on relays count as audits done.
  const remembered = (c: AuditCandidate): void => {
    const own = p.market.auditsFor(c.node).find((a) => a.auditor === p.signer.pubkey && a.model === c.model)
    if (own && !last.has(auditKey(c.node, c.model))) last.set(auditKey(c.node, c.model), { at: own.at, jobs: c.jobs })
  }

  const candidates = (now: number): AuditCandidate[] => {
    const out: AuditCandidate[] = []
    for (const node of p.market.liveNodes(now)) {
      if (node.pubkey === p.signer.pubkey) continue
      for (const m of node.capability.models) {
        const c = { node: node.pubkey, model: m.id, digest: m.digest, jobs: node.stats.jobs }
        remembered(c)
        out.push(c)
      }
    }
    return out
  }

  const auditOne = async (c: AuditCandidate): Promise<void> => {
    const now = p.now()
    last.set(auditKey(c.node, c.model), { at: now, jobs: c.jobs })
    const model = p.market.nodes.get(c.node)?.capability.models.find((m) => m.id === c.model)
    const method = featuresOf(model).includes('logprobs') ? 'greedy-logprob' : 'greedy-prefix'
    const seed = randomInt(2 ** 31)
    const { verdict } = await runAudit({
      node: c.node,
      model: c.model,
      digest: c.digest,
      jobs: auditPrompts(1, seed),
      maxTokens: p.maxTokens ?? 32,
      seed,
      method,
      onNode: p.onNode?.(c.node) ?? nodeRunner({ relays: p.relays, node: c.node, WebSocket: p.WebSocket, logger: logger.child('[audit-job]') }),
      onReference: engineRunner({ url: p.references.get(c.digest!)!, model: c.model }),
      reference: { kind: 'engine', digest: c.digest! },
    })
    await p.pool.publish(await buildAuditVerdict(p.signer, verdict))
    audits++
    logger.info('audit verdict published', { node: c.node.slice(0, 12), model: c.model, method, score: verdict.score, pass: verdict.score <= verdict.threshold })
  }

  const tick = (): void => {
    if (closed || running) return
    const [next] = dueAudits({ candidates: candidates(p.now()), last, references, auditEvery: p.auditEvery, intervalSeconds: p.intervalSeconds, now: p.now() })
    if (!next) return
    running = auditOne(next)
      // An audit that cannot run (the reference engine down, the node gone) is retried at the next due time, not
      // published: a verdict says what was compared, and nothing was.
      .catch((err: unknown) => {
        notRun++
        logger.warn('audit not run', { node: next.node.slice(0, 12), model: next.model, error: (err as Error).message.split('\n')[0] })
      })
      .finally(() => {
        running = undefined
      })
  }
  const timer = setInterval(tick, p.tickMs ?? 1000)
  timer.unref()
  tick()

  return {
    get audits() {
      return audits
    },
    get notRun() {
      return notRun
    },
    async close() {
      closed = true
      clearInterval(timer)
      await running
    },
  }
}
