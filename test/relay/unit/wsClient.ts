// A minimal recording WebSocket client for relay tests: collects every message and waits for one that matches.
import WebSocket from 'ws'

export type TestClient = {
  ws: WebSocket
  messages: unknown[][]
  send(msg: unknown): void
  /** Resolves with the first message (already received or future) satisfying the predicate. */
  waitFor(pred: (m: unknown[]) => boolean, timeoutMs?: number): Promise<unknown[]>
  ok(eventId: string): Promise<[string, string, boolean, string]>
  close(): Promise<void>
}

export async function connect(url: string): Promise<TestClient> {
  const ws = new WebSocket(url)
  const messages: unknown[][] = []
  const waiters: { pred: (m: unknown[]) => boolean; resolve: (m: unknown[]) => void }[] = []
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as unknown[]
    messages.push(m)
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const client: TestClient = {
    ws,
    messages,
    send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    waitFor(pred, timeoutMs = 5000) {
      const found = messages.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(messages).slice(0, 1000)}`)), timeoutMs)
        waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) })
      })
    },
    ok: (id) => client.waitFor((m) => m[0] === 'OK' && m[1] === id) as Promise<[string, string, boolean, string]>,
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve()
        ws.once('close', () => resolve())
        ws.close()
      }),
  }
  return client
}

/** Events of subscription `subId` received before its EOSE. */
export async function collect(client: TestClient, subId: string): Promise<Record<string, unknown>[]> {
  await client.waitFor((m) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subId)
  const out: Record<string, unknown>[] = []
  for (const m of client.messages) {
    if (m[1] !== subId) continue
    if (m[0] === 'EOSE') break
    if (m[0] === 'EVENT') out.push(m[2] as Record<string, unknown>)
  }
  return out
}
