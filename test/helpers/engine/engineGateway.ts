// One real llama-server behind one node, a relay and a coordinator whose gateway serves it: what the real-engine
// gateway tests stand on. Also the bounded JSON schema they ask for: the tiny models' weights are random, so only
// llama-server's grammar makes their output JSON, and the bounds make the grammar end the object within a few dozen
// tokens (an unbounded string or number would run on).
import { startCoordinator, type TestCoordinator } from '../coordinator.ts'
import { waitFor } from '../network.ts'
import { startNode } from '../node.ts'
import { startRelay } from '../relay.ts'
import { startLlamaServer, type LlamaServerOptions } from './llamaServer.ts'

export type EngineGateway = { coord: TestCoordinator; close(): Promise<void> }

/** Starts relay, llama-server on `model` as `alias`, a node and a coordinator, and waits for the node in its market. */
export async function startEngineGateway({ model, alias }: { model: LlamaServerOptions['model']; alias: string }): Promise<EngineGateway> {
  // Stopped last-started first, also when a later part fails to start.
  const stops: (() => Promise<void>)[] = []
  const close = async () => {
    for (const stop of stops.reverse()) await stop()
  }
  try {
    const relay = await startRelay()
    stops.push(() => relay.close())
    const llama = await startLlamaServer({ model, alias })
    stops.push(() => llama.stop())
    const node = await startNode({ relays: [relay.url], backend: { kind: 'llamacpp', baseUrl: llama.url } })
    stops.push(() => node.stop())
    const coord = await startCoordinator({ relays: [relay.url] })
    stops.push(() => coord.close())
    await waitFor(() => coord.coordinator.market.models(Math.floor(Date.now() / 1000)).find((m) => m.id === alias)?.nodes === 1, 'the node in the market')
    return { coord, close }
  } catch (err) {
    await close()
    throw err
  }
}

export const boundedSchema = {
  type: 'object',
  properties: { count: { type: 'integer', minimum: 0, maximum: 99 }, label: { type: 'string', maxLength: 12 } },
  required: ['count', 'label'],
  additionalProperties: false,
}

/** Fits `boundedSchema`: an integer count in 0-99 and a label of at most 12 characters, nothing else. */
export function fitsBoundedSchema(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  return Number.isInteger(v.count) && (v.count as number) >= 0 && (v.count as number) <= 99 && typeof v.label === 'string' && v.label.length <= 12 && Object.keys(v).every((k) => k === 'count' || k === 'label')
}
