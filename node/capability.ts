// The node's offer (kind 33830) from its config and what the backend serves. Pure: the daemon and
// `infernet setup` both build it here, so re-running setup and starting the daemon announce the same thing.
import type { z } from 'zod'
import type { CapabilityContent, gpuInfo } from '../src/protocol/capability.ts'
import { assumedFeatures, type ModelFeature } from '../src/protocol/features.ts'
import type { NodeConfig } from './config.ts'
import { nodePrice } from './config.ts'
import type { Backend, BackendKind, ModelInfo } from './backends/types.ts'

export type GpuInfo = z.infer<typeof gpuInfo>
export type GpuSample = { utilization: number | null; vramFreeMiB: number | null }

/** What the node knows about its GPUs; node/gpu/detect.ts provides the real one, tests pass a fixed one. */
export type GpuProbe = {
  detect(): Promise<GpuInfo[]>
  /** The CPU and RAM, for what a node without GPUs says about itself. */
  host?(): Promise<{ cpu: string; ramMiB: number }>
  sample?(): Promise<GpuSample[]>
}

export const noGpuProbe: GpuProbe = { detect: async () => [] }

export const softwareVersion = 'infernet-node/0.1.0'

/** Models the node serves: the configured list (only those the backend has), else everything it lists. */
export async function servedModels(backend: Backend, configured: string[]): Promise<ModelInfo[]> {
  if (configured.length > 0) {
    const found = await Promise.all(configured.map((id) => backend.resolveModel(id).catch(() => undefined)))
    return found.flatMap((m, i) => (m ? [{ ...m, id: configured[i]! }] : []))
  }
  return backend.listModels()
}

/** Engines whose embedding runner serves embeddings alone. */
const poolingEngines: ReadonlySet<BackendKind> = new Set(['vllm', 'sglang'])

/**
 * A model's features in the capability: what the engine says, plus what the operator declares (INFERNET_FEATURES)
 * for what the engine cannot say. Undefined (the field left out: plain text chat) when neither says anything.
 */
export function announcedFeatures(engine: readonly ModelFeature[] | undefined, declared: readonly ModelFeature[], backend?: BackendKind | undefined): ModelFeature[] | undefined {
  if (engine === undefined && declared.length === 0) return undefined
  // vLLM started with `--task embed` (SGLang `--is-embedding`) runs a pooling model that answers no chat, and its
  // /v1/models does not say which runner it is: `embeddings` declared without `chat` means exactly that server.
  // llama-server with --embeddings still chats (measured), so there the declaration only adds.
  const embeddingOnly = backend !== undefined && poolingEngines.has(backend) && declared.includes('embeddings') && !declared.includes('chat')
  const out = embeddingOnly ? [] : [...(engine ?? assumedFeatures)]
  for (const f of declared) if (!out.includes(f)) out.push(f)
  return out
}

export type CapabilityInput = {
  config: Pick<NodeConfig, 'backend' | 'priceIn' | 'priceOut' | 'maxConcurrency' | 'maxQueue' | 'maxPromptBytes' | 'name' | 'region'> & Partial<Pick<NodeConfig, 'features'>>
  models: ModelInfo[]
  gpus: GpuInfo[]
  /** Base URL of the stream endpoint, or null when clients cannot reach it. */
  stream: string | null
  /** Settlement terms of a priced node (chain, contract, token, payee + proof, credit limit). */
  payment?: CapabilityContent['payment'] | undefined
}

export function buildCapabilityContent({ config, models, gpus, stream, payment }: CapabilityInput): CapabilityContent {
  return {
    v: 1,
    ...(config.name ? { name: config.name } : {}),
    software: softwareVersion,
    backend: config.backend,
    models: models.slice(0, 64).map((m) => {
      const features = announcedFeatures(m.features, config.features ?? [], config.backend)
      return { id: m.id, ...(m.contextLength ? { contextLength: m.contextLength } : {}), ...(m.digest ? { digest: m.digest } : {}), ...(features ? { features } : {}) }
    }),
    price: nodePrice(config),
    gpus: gpus.slice(0, 16),
    ...(config.region ? { region: config.region } : {}),
    stream,
    maxConcurrency: config.maxConcurrency,
    // Routers count free queue places as room (nips/routing.md), so a node with busy slots is not "no node".
    maxQueue: config.maxQueue,
    maxPromptBytes: config.maxPromptBytes,
    ...(payment ? { payment } : {}),
  }
}
