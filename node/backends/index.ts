// Entry point of the backend adapters: pick one by kind, or detect which server runs locally.
import { BackendError } from '../errors/backend.ts'
import { createDemoBackend } from './demo.ts'
import { httpRequest } from './httpRequest.ts'
import { createLlamacppBackend } from './llamacpp.ts'
import { createMaxBackend } from './max.ts'
import { createOllamaBackend } from './ollama.ts'
import { createSglangBackend } from './sglang.ts'
import type { Backend, BackendKind } from './types.ts'
import { createVllmBackend } from './vllm.ts'

export type { Backend, BackendHealth, BackendKind, ChatChunk, ChatMessage, ChatRequest, ModelInfo, Usage } from './types.ts'

export const defaultBackendUrls: Record<BackendKind, string> = {
  ollama: 'http://127.0.0.1:11434',
  vllm: 'http://127.0.0.1:8000',
  sglang: 'http://127.0.0.1:30000',
  max: 'http://127.0.0.1:8000',
  llamacpp: 'http://127.0.0.1:8080',
  demo: 'demo://',
}

export type CreateBackendParameters = {
  kind: BackendKind
  baseUrl?: string | undefined
  fetch?: typeof fetch | undefined
  timeoutMs?: number | undefined
}

export function createBackend(params: CreateBackendParameters): Backend {
  const { kind, ...http } = params
  switch (kind) {
    case 'ollama':
      return createOllamaBackend(http)
    case 'vllm':
      return createVllmBackend(http)
    case 'sglang':
      return createSglangBackend(http)
    case 'max':
      return createMaxBackend(http)
    case 'llamacpp':
      return createLlamacppBackend(http)
    case 'demo':
      return createDemoBackend()
  }
}

/** Probe order; vLLM and MAX share port 8000 and are told apart by vLLM's /version and MAX's /v1/health. */
const probes: { kind: BackendKind; path: string; check: (body: unknown) => boolean }[] = [
  { kind: 'ollama', path: '/api/version', check: (b) => typeof (b as { version?: unknown })?.version === 'string' },
  { kind: 'sglang', path: '/get_model_info', check: (b) => typeof (b as { model_path?: unknown })?.model_path === 'string' },
  { kind: 'llamacpp', path: '/health', check: (b) => typeof (b as { status?: unknown })?.status === 'string' },
  { kind: 'vllm', path: '/version', check: (b) => typeof (b as { version?: unknown })?.version === 'string' },
  { kind: 'max', path: '/v1/health', check: () => true },
]

/**
 * Finds a backend server on its default local port. All probes run at once (each bounded by timeoutMs);
 * the first in probe order that answers like its server wins. The demo backend is never detected.
 */
export async function detectBackend(params: { fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<{ kind: BackendKind; baseUrl: string } | undefined> {
  const { fetch: fetchFn, timeoutMs = 1000 } = params
  const results = await Promise.all(
    probes.map(async ({ kind, path, check }) => {
      try {
        const res = await httpRequest({ fetch: fetchFn, url: defaultBackendUrls[kind] + path, timeoutMs, backend: kind })
        const text = await res.lines().next()
        let body: unknown
        try {
          body = text.value ? JSON.parse(text.value) : undefined
        } catch {
          body = undefined
        }
        res.close()
        return check(body)
      } catch (err) {
        // A llama-server still loading its model answers /health with 503 "Loading model": it is there.
        return kind === 'llamacpp' && err instanceof BackendError && err.reason === 'loading'
      }
    }),
  )
  const i = results.findIndex(Boolean)
  const probe = i < 0 ? undefined : probes[i]
  return probe ? { kind: probe.kind, baseUrl: defaultBackendUrls[probe.kind] } : undefined
}
