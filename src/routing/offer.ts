// A model's price on a node, parsed once per capability: routing compares prices on every decision, and a
// capability object never changes (a new event makes a new one), so a WeakMap keyed by it is a safe cache.
import { modelPrice, type Capability } from '../protocol/capability.ts'
import type { Price } from '../protocol/schema.ts'

export type Offer = { price: Price; input: bigint; output: bigint; mean: number }

const cache = new WeakMap<Capability, Map<string, Offer>>()

/** Every model of the capability with its price (the model's own, else the node's). */
export function offersOf(capability: Capability): Map<string, Offer> {
  let offers = cache.get(capability)
  if (offers) return offers
  offers = new Map()
  for (const m of capability.models) {
    const price = modelPrice(capability, m.id)
    offers.set(m.id, { price, input: BigInt(price.input), output: BigInt(price.output), mean: (Number(price.input) + Number(price.output)) / 2 })
  }
  cache.set(capability, offers)
  return offers
}

export function offerFor(capability: Capability, model: string): Offer | undefined {
  return offersOf(capability).get(model)
}
