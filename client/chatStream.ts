// A chat as the caller reads it: an async iterable of deltas plus the final result, cancellable. The job itself
// runs in `run`, which gets the delta sink and an abort signal tied to cancel(), to leaving the loop early and
// to the caller's own signal.
import type { ChatDelta, ChatResult } from './actions/chat.ts'

export type { ChatDelta }
export type ChatStream = AsyncIterable<ChatDelta> & { result: Promise<ChatResult>; cancel(): void }

/** A push queue read by one async iterator; ends with a value or an error. */
class DeltaQueue {
  #items: ChatDelta[] = []
  #waiter: (() => void) | undefined
  #done = false
  #error: unknown
  push(delta: ChatDelta): void {
    this.#items.push(delta)
    this.#wake()
  }
  end(error?: unknown): void {
    this.#done = true
    this.#error = error
    this.#wake()
  }
  #wake(): void {
    const w = this.#waiter
    this.#waiter = undefined
    w?.()
  }
  async next(): Promise<IteratorResult<ChatDelta>> {
    for (;;) {
      const item = this.#items.shift()
      if (item !== undefined) return { done: false, value: item }
      if (this.#done) {
        if (this.#error !== undefined) throw this.#error
        return { done: true, value: undefined }
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve))
    }
  }
}

export type CreateChatStreamParameters = {
  run: (onDelta: (delta: ChatDelta) => void, signal: AbortSignal) => Promise<ChatResult>
  /** The caller's signal: aborting it cancels the job. */
  signal?: AbortSignal | undefined
  /** Called once with the job's controller before it runs, and its disposer after it settles. */
  track?: ((controller: AbortController) => () => void) | undefined
}

export function createChatStream({ run, signal, track }: CreateChatStreamParameters): ChatStream {
  const queue = new DeltaQueue()
  const controller = new AbortController()
  const untrack = track?.(controller)
  const onCallerAbort = () => controller.abort()
  if (signal) {
    if (signal.aborted) controller.abort()
    else signal.addEventListener('abort', onCallerAbort, { once: true })
  }
  const result = run((delta) => queue.push(delta), controller.signal).then(
    (r) => {
      queue.end()
      return r
    },
    (err: unknown) => {
      queue.end(err)
      throw err
    },
  )
  void result
    .catch(() => {})
    .finally(() => {
      untrack?.()
      signal?.removeEventListener('abort', onCallerAbort)
    })
  return {
    result,
    cancel: () => controller.abort(),
    [Symbol.asyncIterator]: () => ({
      next: () => queue.next(),
      // Leaving the loop early cancels the job.
      return: async () => {
        controller.abort()
        return { done: true, value: undefined }
      },
    }),
  }
}
