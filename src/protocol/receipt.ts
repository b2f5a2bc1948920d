// Kind 3833: a Compute Payment Receipt travelling from client to node, NIP-44 encrypted to the node. The event
// only carries it; the voucher itself (EIP-712 fields and signature) is checked by src/payments. See nips/cpr.md.
import { z } from 'zod'
import type { Signer } from '../signer.ts'
import { isRejected, nowSeconds, reject, requireSingleTag, validateEvent, type NostrEvent, type ValidateOptions, type ValidationResult } from './event.ts'
import * as kinds from './kinds.ts'
import { decryptJsonContent } from './schema.ts'

/** The signed voucher as JSON; fields beyond `signature` are defined and verified in src/payments. */
export const receiptVoucher = z.object({ signature: z.string().regex(/^0x[0-9a-fA-F]+$/) }).catchall(z.unknown())
export type ReceiptVoucherJson = z.infer<typeof receiptVoucher>
export type ReceiptEnvelope = { node: string; client: string; job: string | undefined; createdAt: number }

export async function buildReceiptEvent(
  signer: Signer,
  { node, job, voucher, now = nowSeconds() }: { node: string; job?: string | undefined; voucher: ReceiptVoucherJson; now?: number },
): Promise<NostrEvent> {
  return signer.signEvent({
    kind: kinds.Receipt,
    created_at: now,
    tags: [['p', node], ...(job ? [['e', job]] : [])],
    content: await signer.nip44.encrypt(node, JSON.stringify(receiptVoucher.parse(voucher))),
  })
}

export function parseReceiptEvent(input: unknown, options: ValidateOptions = {}): ValidationResult<ReceiptEnvelope> {
  const base = validateEvent(input, kinds.Receipt, options)
  if (!base.ok) return base
  const p = requireSingleTag(base.event, 'p', /^[0-9a-f]{64}$/)
  if (isRejected(p)) return p
  const e = base.event.tags.find((t) => t[0] === 'e')?.[1]
  if (e !== undefined && !/^[0-9a-f]{64}$/.test(e)) return reject('bad-tag', '"e" tag must be a job id')
  return { ok: true, event: base.event, data: { node: p[1]!, client: base.event.pubkey, job: e, createdAt: base.event.created_at } }
}

/** The node's side: decrypt the voucher JSON. */
export async function decryptReceiptEvent(event: NostrEvent, signer: Signer): Promise<ValidationResult<ReceiptVoucherJson>> {
  const checked = await decryptJsonContent(() => signer.nip44.decrypt(event.pubkey, event.content), receiptVoucher, { what: 'receipt', schemaName: 'receipt' })
  if (!checked.ok) return checked
  return { ok: true, event, data: checked.data }
}
