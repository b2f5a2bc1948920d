// A minimal node built from src/protocol that lies on purpose, for the client's verification tests. It
// announces a capability and a heartbeat, accepts jobs on a WebSocket direct channel, streams a fixed reply,
// then signs a result that is wrong in exactly one way. Listens on 127.0.0.1, port 0. The overcharging lies
// multiply the fewest tokens a real BPE tokenizer could count (one per pre-tokenizer piece of the reply; of the
// prompt, plus the 5 template tokens per message that the fakes count); 'fair' reports that count itself.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import WebSocket, { WebSocketServer } from 'ws'
import { createRelayPool, type WebSocketConstructor } from '../../src/net/relayPool.ts'
import { buildCapability } from '../../src/protocol/capability.ts'
import { buildHeartbeat } from '../../src/protocol/heartbeat.ts'
import { messageText } from '../../src/protocol/chatMessage.ts'
import { decryptJobRequest } from '../../src/protocol/jobRequest.ts'
import { buildJobResult } from '../../src/protocol/jobResult.ts'
import { amountDue } from '../../src/protocol/price.ts'
import type { Price } from '../../src/protocol/schema.ts'
import { encryptDelta } from '../../src/protocol/streamChunk.ts'
import { pretokenize } from '../../src/protocol/usageBounds.ts'
import { testSigner } from '../helpers/keys.ts'
import { encodeEmbeddings } from '../../src/protocol/embeddingJob.ts'
import { fakeEmbedding } from '../helpers/fakeBackends/fakeEmbedding.ts'

export type Lie = 'none' | 'signature' | 'hash' | 'usage' | 'amount' | 'silent' | 'short' | Overcharge

/** The least honest usage times 2 or 25 on one side; 'fair' is that usage itself. */
export type Overcharge = 'fair' | 'completion-2x' | 'completion-25x' | 'prompt-2x' | 'prompt-25x'
const overcharges: Record<Overcharge, { prompt: number; completion: number }> = {
  fair: { prompt: 1, completion: 1 },
  'completion-2x': { prompt: 1, completion: 2 },
  'completion-25x': { prompt: 1, completion: 25 },
  'prompt-2x': { prompt: 2, completion: 1 },
  'prompt-25x': { prompt: 25, completion: 1 },
}

export type LyingNode = { pubkey: string; url: string; jobs: number; close(): Promise<void> }

/**
 * `embeddings`: the model is an embedding model, and a v3 job gets one 8-float fakeEmbedding per input; the lies
 * then are: `hash` signs other vectors, `usage` claims completion tokens, `prompt-25x` 25 tokens per input byte,
 * `amount` over the due, `short` streams and signs one vector fewer than the inputs.
 */
export async function startLyingNode({ relays, model, price, lie, reply = 'one two three four five six', embeddings = false }: { relays: string[]; model: string; price: Price; lie: Lie; reply?: string; embeddings?: boolean }): Promise<LyingNode> {
  const signer = testSigner(`lying-node-${lie}`)
  const server = createServer((_req, res) => res.writeHead(404).end())
  const wss = new WebSocketServer({ server })
  const state = { jobs: 0 }
  wss.on('connection', (ws) => {
    ws.on('message', async (data) => {
      const frame = JSON.parse(String(data)) as { type: string; event?: { id: string; pubkey: string } }
      if (frame.type !== 'job' || !frame.event) return
      state.jobs++
      // 'silent': takes the job and never answers (a node that never accepts).
      if (lie === 'silent') return
      const decrypted = await decryptJobRequest(frame.event as never, signer)
      if (!decrypted.ok) return
      const job = frame.event.id
      const client = frame.event.pubkey
      const key = signer.conversationKey(client)
      ws.send(JSON.stringify({ type: 'accepted', job, queuePosition: 0 }))
      if (decrypted.data.v === 3) {
        const { input } = decrypted.data
        const streamed = encodeEmbeddings((lie === 'short' ? input.slice(1) : input).map((t) => fakeEmbedding(model, t, 8)))
        ws.send(JSON.stringify({ type: 'chunk', job, seq: 0, c: encryptDelta(key, streamed) }))
        const bytes = input.reduce((n, t) => n + Buffer.byteLength(t), 0)
        const usage = { promptTokens: lie === 'prompt-25x' ? bytes * 25 : input.length, completionTokens: lie === 'usage' ? 5 : 0 }
        const amount = amountDue(usage, price) + (lie === 'amount' ? 1000n : 0n)
        const output = lie === 'hash' ? encodeEmbeddings(input.map((t) => fakeEmbedding(model, t + '!', 8))) : streamed
        const event = await buildJobResult(signer, { job, client, model, usage, amount, output, embeddings: true, finishReason: 'stop', ttftMs: 1, durationMs: 2 })
        if (lie === 'signature') event.sig = (event.sig[0] === 'a' ? 'b' : 'a') + event.sig.slice(1)
        ws.send(JSON.stringify({ type: 'result', job, event }))
        return
      }
      const words = reply.split(' ').map((w, i) => (i === 0 ? w : ' ' + w))
      words.forEach((w, seq) => ws.send(JSON.stringify({ type: 'chunk', job, seq, c: encryptDelta(key, w) })))
      const factor = overcharges[lie as Overcharge] as { prompt: number; completion: number } | undefined
      const usage = factor
        ? {
            promptTokens: decrypted.data.messages.reduce((n, m) => n + pretokenize(messageText(m)).length + 5, 0) * factor.prompt,
            completionTokens: pretokenize(reply).length * factor.completion,
          }
        : { promptTokens: 5, completionTokens: lie === 'usage' ? 5000 : words.length }
      const amount = amountDue(usage, price) + (lie === 'amount' ? 1000n : 0n)
      const output = lie === 'hash' ? reply + ' (not what was streamed)' : reply
      const event = await buildJobResult(signer, { job, client, model: decrypted.data.model, usage, amount, output, finishReason: 'stop', ttftMs: 1, durationMs: 2 })
      if (lie === 'signature') event.sig = (event.sig[0] === 'a' ? 'b' : 'a') + event.sig.slice(1)
      ws.send(JSON.stringify({ type: 'result', job, event }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const pool = createRelayPool({ urls: relays, WebSocket: WebSocket as unknown as WebSocketConstructor })
  await pool.ready()
  await pool.publish(
    await buildCapability(signer, { v: 1, name: `liar-${lie}`, backend: 'fake', models: [{ id: model, ...(embeddings ? { features: ['embeddings'] } : {}) }], price, gpus: [], stream: url, maxConcurrency: 4, maxPromptBytes: 100_000 }),
  )
  await pool.publish(
    await buildHeartbeat(signer, { v: 1, models: [model], loaded: [model], slots: { free: 4, total: 4 }, queue: 0, tps: 1000, ttftMs: 1, gpus: [], interval: 30, backendHealthy: true }),
  )
  return {
    pubkey: signer.pubkey,
    url,
    get jobs() {
      return state.jobs
    },
    async close() {
      pool.close()
      for (const c of wss.clients) c.terminate()
      wss.close()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
