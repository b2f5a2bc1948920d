// Work that must not interleave per key (one payment channel, one client's receipts) while other keys run freely:
// each key's runs are chained in call order, a failure ends only its own run, and an idle key is forgotten.

/** Runs `run` after every run queued under `key` before it has settled; resolves or rejects as `run` does. */
export type KeyedSerial = <T>(key: string, run: () => Promise<T>) => Promise<T>

export function createKeyedSerial(): KeyedSerial {
  const tails = new Map<string, Promise<void>>()
  return (key, run) => {
    const result = (tails.get(key) ?? Promise.resolve()).then(run)
    const tail = result.then(
      () => {},
      () => {},
    )
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    return result
  }
}
