// What audits found about a node, as the status page and GET /api/v1/stats show it. No audit verdict event exists
// in the protocol yet (nips/ has none), so no node has any and the page says "no audits yet". This type and
// MarketIndex.audits are the one place a verdict indexer fills; nothing else has to change to show them.

export type AuditResult = {
  /** Id of the signed verdict event. */
  id: string
  /** Hex pubkey of the auditor that signed it. */
  auditor: string
  /** Model id the audit checked. */
  model: string
  /** The verdict as its event states it. */
  verdict: string
  /** The verdict event's created_at (unix seconds). */
  at: number
}
