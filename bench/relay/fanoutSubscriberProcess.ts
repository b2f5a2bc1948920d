// One share of the fan-out benchmark's subscribers, in its own process (forked by fanout.bench.ts over IPC), so that
// receiving 1,000 deliveries per event is spread over several event loops instead of bounding the measurement.
// It opens its sockets, subscribes each, and reports arrival times of the EVENT messages it receives; the parent
// owns the publisher and turns arrival times into latencies.
import WebSocket from 'ws'
import { monotonicMs } from './monotonicClock.ts'

export type ToSubscriber =
  | { type: 'open'; url: string; count: number; req: string }
  /** Report once `n` more deliveries have arrived (or after `timeoutMs`), with every arrival time if `times`. */
  | { type: 'expect'; n: number; times: boolean; timeoutMs: number }
  | { type: 'close' }
export type FromSubscriber =
  | { type: 'ready' }
  /** `got` < the expected n means deliveries went missing; `last` is the arrival time of the latest one. */
  | { type: 'got'; got: number; last: number; times?: number[] }
  | { type: 'error'; message: string }

const report = (m: FromSubscriber) => process.send!(m)
const sockets: WebSocket[] = []
// Arrivals not yet reported. They are kept even before an 'expect' asks for them: a delivery may beat that message.
let arrivals: number[] = []
let arrived = 0
let lastArrival = 0
let waiting: { n: number; times: boolean; timer: NodeJS.Timeout } | undefined

const settle = (timedOut: boolean) => {
  if (!waiting || (!timedOut && arrived < waiting.n)) return
  const { n, times, timer } = waiting
  clearTimeout(timer)
  waiting = undefined
  const got = Math.min(n, arrived)
  report({ type: 'got', got, last: lastArrival, ...(times ? { times: arrivals.slice(0, got) } : {}) })
  // Deliveries late for a timed-out report would be counted towards the next one: drop them all on a timeout.
  arrivals = timedOut ? [] : arrivals.slice(got)
  arrived = timedOut ? 0 : arrived - got
}

const open = (url: string) =>
  new Promise<WebSocket>((resolve, reject) => {
    // Keep the load generator cheap: no compression offer, no UTF-8 validation (we only look at the first bytes).
    const ws = new WebSocket(url, { perMessageDeflate: false, skipUTF8Validation: true })
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })

async function openAll(url: string, count: number, req: string) {
  for (let i = 0; i < count; i += 100) sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, () => open(url)))))
  let eoses = 0
  await new Promise<void>((resolve) => {
    for (const ws of sockets) {
      ws.on('message', (data: Buffer) => {
        // '["EVENT"' vs '["EOSE"': the 4th byte tells them apart without decoding the message.
        if (data[3] === 0x56) {
          lastArrival = monotonicMs()
          arrivals.push(lastArrival)
          arrived++
          if (waiting && arrived >= waiting.n) settle(false)
        } else if (data[3] === 0x4f && ++eoses === count) resolve()
      })
      ws.send(req)
    }
  })
}

process.on('message', (m: ToSubscriber) => {
  if (m.type === 'open') {
    openAll(m.url, m.count, m.req).then(
      () => report({ type: 'ready' }),
      (err: unknown) => report({ type: 'error', message: (err as Error).message }),
    )
  } else if (m.type === 'expect') {
    waiting = { n: m.n, times: m.times, timer: setTimeout(() => settle(true), m.timeoutMs) }
    settle(false)
  } else {
    for (const ws of sockets) ws.terminate()
    process.disconnect()
  }
})
