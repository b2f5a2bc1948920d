// Amounts as a person reads them. Every amount on the wire, in --json and on chain stays in base units (wei for
// the native coin); tables, footers and pages show the coin's units: ETH from 0.001 ETH up, gwei below that down
// to 0.001 gwei, wei under that, each to at most 6 significant digits.
import type { Price } from '../protocol/schema.ts'

/** `1.5 ETH`, `18.2 gwei`, `900 wei`. Self-contained (no imports, no helpers) because the status page ships its
 * source to the browser, so both show the same text. */
export function formatNative(amount: bigint | string | number): string {
  const v = BigInt(amount)
  const abs = v < 0n ? -v : v
  if (abs === 0n) return '0 ETH'
  const [unit, decimals] = abs >= 10n ** 15n ? ['ETH', 18] : abs >= 10n ** 6n ? ['gwei', 9] : ['wei', 0]
  if (decimals === 0) return `${v} wei`
  const scale = 10n ** BigInt(decimals)
  const whole = abs / scale
  const fraction = (abs % scale).toString().padStart(decimals, '0')
  const n = Number(`${whole}.${fraction}`)
  return `${v < 0n ? '-' : ''}${Number(n.toPrecision(6))} ${unit}`
}

/** An amount of a channel's token: the coin's units for the native coin (zero address), base units for an ERC-20
 * (the CLI never guesses a token's decimals). */
export function formatTokenAmount(amount: bigint, token: string): string {
  return /^0x0{40}$/i.test(token) || token === 'native' ? formatNative(amount) : `${amount} base units`
}

/** A price per million tokens, input/output: `100 gwei / 300 gwei`. */
export function formatPrice(price: Price): string {
  return `${formatNative(price.input)} / ${formatNative(price.output)}`
}
