// Compute Payment Receipts (CPR): EIP-712 vouchers for the CUMULATIVE amount a payer owes a payee, per token
// and epoch. Pure: hashing, signing through an account or callback, verifying, and chaining the next receipt.
// Spec: nips/cpr.md. Vectors: test/vectors/cpr.json.
import { concat, getAddress, hashTypedData, isAddress, isHex, keccak256, parseSignature, recoverTypedDataAddress, zeroHash } from 'viem'
import type { Address, Hex, LocalAccount, TypedDataDefinition } from 'viem'

export type Receipt = {
  payer: Address
  payee: Address
  /** address(0) = the chain's native coin. */
  token: Address
  epoch: number
  /** Total owed to the payee in this epoch, in the token's base units. */
  cumulative: bigint
  jobCount: bigint
  /** keccak256 hash chain over the job request ids: h_n = keccak256(h_{n-1} || jobId), h_0 = 0x00…00. */
  jobsHash: Hex
}

export type SignedReceipt = Receipt & { signature: Hex }

export type SettlementDomain = { chainId: number; verifyingContract: Address }

export const receiptDomainName = 'Infernet Settlement'
export const receiptDomainVersion = '1'

export const receiptTypes = {
  Receipt: [
    { name: 'payer', type: 'address' },
    { name: 'payee', type: 'address' },
    { name: 'token', type: 'address' },
    { name: 'epoch', type: 'uint32' },
    { name: 'cumulative', type: 'uint256' },
    { name: 'jobCount', type: 'uint64' },
    { name: 'jobsHash', type: 'bytes32' },
  ],
} as const

/** secp256k1 n / 2. */
const halfN = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n

export type SignTypedDataFn = (typedData: TypedDataDefinition<typeof receiptTypes, 'Receipt'>) => Promise<Hex>

export function receiptTypedData(receipt: Receipt, domain: SettlementDomain): TypedDataDefinition<typeof receiptTypes, 'Receipt'> {
  return {
    domain: { name: receiptDomainName, version: receiptDomainVersion, chainId: domain.chainId, verifyingContract: domain.verifyingContract },
    types: receiptTypes,
    primaryType: 'Receipt',
    message: {
      payer: receipt.payer,
      payee: receipt.payee,
      token: receipt.token,
      epoch: receipt.epoch,
      cumulative: receipt.cumulative,
      jobCount: receipt.jobCount,
      jobsHash: receipt.jobsHash,
    },
  }
}

/** The EIP-712 digest the payer signs and the contract recovers from. */
export function hashReceipt(receipt: Receipt, domain: SettlementDomain): Hex {
  return hashTypedData(receiptTypedData(receipt, domain))
}

export async function signReceipt(signer: LocalAccount | SignTypedDataFn, receipt: Receipt, domain: SettlementDomain): Promise<SignedReceipt> {
  const typedData = receiptTypedData(receipt, domain)
  const signature = typeof signer === 'function' ? await signer(typedData) : await signer.signTypedData(typedData)
  return { ...receipt, signature }
}

export type VerifyReceiptResult = { ok: true; signer: Address } | { ok: false; reason: string }

/** Checks the shape, low-s, and that the signature recovers to the receipt's payer under `domain`. */
export async function verifyReceipt(signed: SignedReceipt, domain: SettlementDomain): Promise<VerifyReceiptResult> {
  const shape = checkReceiptShape(signed)
  if (shape) return { ok: false, reason: shape }
  if (!isHex(signed.signature) || signed.signature.length !== 132) return { ok: false, reason: 'signature must be 65 bytes' }
  let s: bigint
  try {
    s = BigInt(parseSignature(signed.signature).s)
  } catch {
    return { ok: false, reason: 'signature is malformed' }
  }
  if (s > halfN) return { ok: false, reason: 'signature has a high s value' }
  let signer: Address
  try {
    signer = await recoverTypedDataAddress({ ...receiptTypedData(signed, domain), signature: signed.signature })
  } catch {
    return { ok: false, reason: 'signature does not recover' }
  }
  if (signer !== getAddress(signed.payer)) return { ok: false, reason: `signer ${signer} is not the payer ${signed.payer}` }
  return { ok: true, signer }
}

/** The empty receipt a channel starts from in `epoch`. */
export function initialReceipt({ payer, payee, token, epoch }: Pick<Receipt, 'payer' | 'payee' | 'token' | 'epoch'>): Receipt {
  return { payer: getAddress(payer), payee: getAddress(payee), token: getAddress(token), epoch, cumulative: 0n, jobCount: 0n, jobsHash: zeroHash }
}

export function chainJobsHash(previous: Hex, jobId: Hex | string): Hex {
  const id = (jobId.startsWith('0x') ? jobId : `0x${jobId}`) as Hex
  if (!isHex(id) || id.length !== 66) throw new TypeError(`job id must be 32 bytes of hex, got "${jobId}"`)
  return keccak256(concat([previous, id]))
}

/** The receipt that adds one job of `amount` to `prev`. Pure. */
export function nextReceipt(prev: Receipt, { jobId, amount }: { jobId: Hex | string; amount: bigint }): Receipt {
  if (amount < 0n) throw new RangeError('amount must not be negative')
  return {
    payer: prev.payer,
    payee: prev.payee,
    token: prev.token,
    epoch: prev.epoch,
    cumulative: prev.cumulative + amount,
    jobCount: prev.jobCount + 1n,
    jobsHash: chainJobsHash(prev.jobsHash, jobId),
  }
}

/** Returns a reason when the fields are out of range, undefined when fine. */
export function checkReceiptShape(r: Receipt): string | undefined {
  for (const f of ['payer', 'payee', 'token'] as const) if (typeof r[f] !== 'string' || !isAddress(r[f], { strict: false })) return `${f} is not an address`
  if (!Number.isInteger(r.epoch) || r.epoch < 0 || r.epoch > 0xffffffff) return 'epoch is not a uint32'
  if (typeof r.cumulative !== 'bigint' || r.cumulative < 0n || r.cumulative >= 2n ** 256n) return 'cumulative is not a uint256'
  if (typeof r.jobCount !== 'bigint' || r.jobCount < 0n || r.jobCount >= 2n ** 64n) return 'jobCount is not a uint64'
  if (typeof r.jobsHash !== 'string' || !isHex(r.jobsHash) || r.jobsHash.length !== 66) return 'jobsHash is not 32 bytes'
  return undefined
}

/** JSON form (the receipt event's content): amounts as decimal strings. */
export type SignedReceiptJson = {
  payer: string
  payee: string
  token: string
  epoch: number
  cumulative: string
  jobCount: string
  jobsHash: string
  signature: string
  /** The domain the payer signed for (informative: lets a node name a wrong chain or contract). */
  chainId?: number | undefined
  contract?: string | undefined
  /**
   * The last job ids the receipt's jobsHash chains, oldest first (at most maxCoveredJobs). Lets a node accept a receipt
   * that also covers jobs whose own receipts it never got (nips/cpr.md, "Receipts that cover several jobs").
   */
  jobs?: string[] | undefined
}

/** Most job ids a receipt's `jobs` list carries. */
export const maxCoveredJobs = 16

export function receiptToJson(r: SignedReceipt, domain?: SettlementDomain | undefined, { jobs }: { jobs?: readonly string[] | undefined } = {}): SignedReceiptJson {
  const json: SignedReceiptJson = { payer: r.payer, payee: r.payee, token: r.token, epoch: r.epoch, cumulative: r.cumulative.toString(), jobCount: r.jobCount.toString(), jobsHash: r.jobsHash, signature: r.signature }
  if (domain) Object.assign(json, { chainId: domain.chainId, contract: domain.verifyingContract })
  if (jobs?.length) json.jobs = jobs.slice(-maxCoveredJobs).map((j) => j.replace(/^0x/, '').toLowerCase())
  return json
}

/** The optional `jobs` of the JSON form: undefined when absent; throws TypeError when malformed. */
export function coveredJobsFromJson(value: unknown): string[] | undefined {
  const jobs = (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}).jobs
  if (jobs === undefined) return undefined
  if (!Array.isArray(jobs) || jobs.length > maxCoveredJobs || !jobs.every((j) => typeof j === 'string' && /^[0-9a-f]{64}$/.test(j))) {
    throw new TypeError(`jobs must be a list of at most ${maxCoveredJobs} job ids (64 lowercase hex characters)`)
  }
  return jobs as string[]
}

/** The optional `chainId` / `contract` of the JSON form, when present and well-formed. */
export function claimedDomainFromJson(value: unknown): Partial<SettlementDomain> {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  const out: Partial<SettlementDomain> = {}
  if (typeof v.chainId === 'number' && Number.isInteger(v.chainId)) out.chainId = v.chainId
  if (typeof v.contract === 'string' && isAddress(v.contract, { strict: false })) out.verifyingContract = getAddress(v.contract)
  return out
}

/** Parses the JSON form; throws TypeError with the field at fault. */
export function receiptFromJson(value: unknown): SignedReceipt {
  if (typeof value !== 'object' || value === null) throw new TypeError('receipt must be an object')
  const v = value as Record<string, unknown>
  const big = (name: string): bigint => {
    const raw = v[name]
    if (typeof raw !== 'string' || !/^\d{1,78}$/.test(raw)) throw new TypeError(`${name} must be a decimal string`)
    return BigInt(raw)
  }
  const addr = (name: string): Address => {
    const raw = v[name]
    if (typeof raw !== 'string' || !isAddress(raw, { strict: false })) throw new TypeError(`${name} must be an address`)
    return getAddress(raw)
  }
  const hex = (name: string): Hex => {
    const raw = v[name]
    if (typeof raw !== 'string' || !isHex(raw)) throw new TypeError(`${name} must be hex`)
    return raw.toLowerCase() as Hex
  }
  if (typeof v.epoch !== 'number') throw new TypeError('epoch must be a number')
  const receipt: SignedReceipt = {
    payer: addr('payer'),
    payee: addr('payee'),
    token: addr('token'),
    epoch: v.epoch,
    cumulative: big('cumulative'),
    jobCount: big('jobCount'),
    jobsHash: hex('jobsHash'),
    signature: hex('signature'),
  }
  const shape = checkReceiptShape(receipt)
  if (shape) throw new TypeError(shape)
  return receipt
}
