// A node failing its audits for a model is no candidate for it (nips/routing.md "Candidates", rule 6) unless the
// policy pins it: the caller's own choice, and how an auditor reaches that node to audit it again.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isEligible, rankNodes } from '../../src/routing/rank.ts'
import { fixedNow as now } from '../helpers/keys.ts'
import { routingNode } from '../helpers/routingNode.ts'

test('audit failures keep a node out of automatic choice, not out of a pin', () => {
  const honest = routingNode(1, undefined)
  const cheat = { ...routingNode(2, undefined), auditFailed: new Set(['llama3']) }
  assert.deepEqual(rankNodes([honest, cheat], { model: 'llama3' }, { now }).map((r) => r.node.pubkey), [honest.pubkey])
  assert.equal(isEligible(cheat, { model: 'llama3', policy: { pin: cheat.pubkey } }, now), true)
  assert.deepEqual(rankNodes([honest, cheat], { model: 'llama3', policy: { pin: cheat.pubkey } }, { now }).map((r) => r.node.pubkey), [cheat.pubkey])
})
