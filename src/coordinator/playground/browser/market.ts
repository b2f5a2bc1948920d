// The playground's view of the network: relay URLs as a person types them, one SDK client on them, and the
// models its live nodes offer. Failures become sentences that name what to fix (the relay, the missing model).
import { BaseError, InfernetClient, RelaysUnreachableError, type MarketModel, type Signer } from '../../../../client/index.ts'

/** Relay URLs from free text (spaces, commas or new lines between them); throws naming the first one that is not ws(s). */
export function parseRelayList(text: string): string[] {
  const urls = [...new Set(text.split(/[\s,]+/).filter(Boolean))]
  if (!urls.length) throw new Error('Enter at least one relay URL (ws:// or wss://).')
  for (const url of urls) {
    let protocol = ''
    try {
      protocol = new URL(url).protocol
    } catch {
      // reported below
    }
    if (protocol !== 'ws:' && protocol !== 'wss:') throw new Error(`"${url}" is not a relay URL: it must start with ws:// or wss://.`)
  }
  return urls
}

export type MarketView = { client: InfernetClient; models: MarketModel[]; unreachable: { url: string; error?: string | undefined }[] }

export type OpenMarketParameters = {
  relays: string[]
  signer: Signer
  timeoutMs?: number | undefined
  createClient?: ((params: { relays: string[]; signer: Signer }) => InfernetClient) | undefined
}

/** Connects, loads the market, lists its models; closes the client again when that fails. */
export async function openMarket({ relays, signer, timeoutMs = 5000, createClient = (p) => new InfernetClient(p) }: OpenMarketParameters): Promise<MarketView> {
  const client = createClient({ relays, signer })
  try {
    await client.ready({ timeoutMs })
    const models = await client.models()
    const unreachable = client.pool.status().filter((r) => !r.connected)
    return { client, models, unreachable }
  } catch (err) {
    await client.close()
    throw err
  }
}

/** One relay down among several: the market may be missing the nodes that publish only there. */
export function unreachableWarning(unreachable: MarketView['unreachable']): string | undefined {
  if (!unreachable.length) return undefined
  return `Not reachable, so its nodes may be missing: ${unreachable.map((r) => `${r.url} (${r.error ?? 'no answer'})`).join(', ')}.`
}

export function noModelMessage(relays: string[]): string {
  return `No model is live on ${relays.join(', ')}: no node has announced itself there recently. Start a node on these relays (infernet start) or enter other relays.`
}

/** What to show for an error: the relays by name when none answered, else the SDK's short message and hints. */
export function describeError(err: unknown): string {
  if (err instanceof RelaysUnreachableError) return `Could not reach ${err.relays.map((r) => `${r.url} (${r.error ?? 'no answer'})`).join(', ')}. Check the relay URLs and that the relays run.`
  if (err instanceof BaseError) return [err.shortMessage, ...err.metaMessages].join('\n')
  return err instanceof Error ? err.message : String(err)
}
