// Schnorr checks off the main thread (strfry's ingester pool): requests queued during one tick are sent to the
// workers in batches, round-robin, so the main thread only parses, writes and fans out.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { NostrEvent } from '../src/protocol/event.ts'

export type VerifyPool = {
  verify(event: NostrEvent): Promise<boolean>
  readonly threads: number
  close(): Promise<void>
}

/**
 * -1 = automatic: on 4+ cores, one worker per core beyond two (kept for the main thread and SQLite), at most 6;
 * on smaller machines the main thread verifies (a worker would only compete with it for the same cores).
 */
export function resolveVerifyThreads(requested: number, cores: number = availableParallelism()): number {
  if (requested >= 0) return requested
  return cores >= 4 ? Math.min(6, cores - 2) : 0
}

/** `addon`: the native libsecp256k1 build for the workers to load (src/schnorr/addon.ts); without it they use the WASM. */
export function createVerifyPool({ threads, addon }: { threads: number; addon?: string | undefined }): VerifyPool {
  type Pending = { resolve: (ok: boolean) => void; reject: (err: unknown) => void }
  const workers = Array.from({ length: threads }, () => new Worker(new URL('./verifyWorker.js', import.meta.url), { workerData: { addon } }))
  const inflight = new Map<number, Pending[]>()
  let queue: { item: NostrEvent; pending: Pending }[] = []
  let nextBatch = 1
  let nextWorker = 0
  let scheduled = false
  let closed = false

  const fail = (err: unknown) => {
    for (const list of inflight.values()) for (const p of list) p.reject(err)
    inflight.clear()
  }
  for (const w of workers) {
    w.unref()
    w.on('message', ({ batch, results }: { batch: number; results: Uint8Array }) => {
      const list = inflight.get(batch)
      if (!list) return
      inflight.delete(batch)
      list.forEach((p, i) => p.resolve(results[i] === 1))
    })
    w.on('error', fail)
  }

  const dispatch = () => {
    scheduled = false
    const items = queue
    queue = []
    // Split into one chunk per worker (at least 16 events per chunk) so all cores share the work.
    const chunk = Math.max(16, Math.ceil(items.length / workers.length))
    for (let i = 0; i < items.length; i += chunk) {
      const part = items.slice(i, i + chunk)
      const batch = nextBatch++
      inflight.set(
        batch,
        part.map((x) => x.pending),
      )
      workers[nextWorker]!.postMessage({ batch, items: part.map((x) => x.item) })
      nextWorker = (nextWorker + 1) % workers.length
    }
  }

  return {
    threads,
    verify(event) {
      if (closed) return Promise.reject(new Error('verify pool is closed'))
      return new Promise<boolean>((resolve, reject) => {
        const { id, pubkey, created_at, kind, tags, content, sig } = event
        queue.push({ item: { id, pubkey, created_at, kind, tags, content, sig }, pending: { resolve, reject } })
        if (!scheduled) {
          scheduled = true
          setImmediate(dispatch)
        }
      })
    },
    async close() {
      closed = true
      await Promise.all(workers.map((w) => w.terminate()))
      fail(new Error('verify pool closed'))
    },
  }
}
