// Which backend model serves a public model id, asked of the backend and cached briefly (30 s for a hit, 2 s for a
// miss, so a model pulled meanwhile is found soon). An Error when the backend cannot be asked. Concurrent jobs for a
// model not in the cache share one lookup: on a cold node, 100 first jobs would otherwise each ask the backend.
import type { Backend, ModelInfo } from '../backends/types.ts'

export type ModelResolver = (id: string) => Promise<ModelInfo | undefined | Error>

export function createModelResolver({ backend, models, now }: { backend: Backend; /** Served ids; empty = any the backend resolves. */ models: string[]; now: () => number }): ModelResolver {
  const cache = new Map<string, { info: ModelInfo | undefined; until: number }>()
  const inflight = new Map<string, Promise<ModelInfo | undefined | Error>>()
  const lookup = async (id: string): Promise<ModelInfo | undefined | Error> => {
    let info: ModelInfo | undefined
    try {
      info = await backend.resolveModel(id)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
    cache.set(id, { info, until: now() + (info ? 30_000 : 2_000) })
    return info
  }
  return async (id) => {
    if (models.length > 0 && !models.includes(id)) return undefined
    const hit = cache.get(id)
    if (hit && hit.until > now()) return hit.info
    let pending = inflight.get(id)
    if (!pending) {
      pending = lookup(id).finally(() => inflight.delete(id))
      inflight.set(id, pending)
    }
    return pending
  }
}
