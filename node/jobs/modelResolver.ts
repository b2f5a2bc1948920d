// Which backend model serves a public model id, asked of the backend and cached briefly (30 s for a hit, 2 s for a
// miss, so a model pulled meanwhile is found soon). An Error when the backend cannot be asked.
import type { Backend, ModelInfo } from '../backends/types.ts'

export type ModelResolver = (id: string) => Promise<ModelInfo | undefined | Error>

export function createModelResolver({ backend, models, now }: { backend: Backend; /** Served ids; empty = any the backend resolves. */ models: string[]; now: () => number }): ModelResolver {
  const cache = new Map<string, { info: ModelInfo | undefined; until: number }>()
  return async (id) => {
    if (models.length > 0 && !models.includes(id)) return undefined
    const hit = cache.get(id)
    if (hit && hit.until > now()) return hit.info
    let info: ModelInfo | undefined
    try {
      info = await backend.resolveModel(id)
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err))
    }
    cache.set(id, { info, until: now() + (info ? 30_000 : 2_000) })
    return info
  }
}
