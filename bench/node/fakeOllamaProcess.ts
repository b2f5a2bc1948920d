// Runs a fake Ollama in its own process (as a real backend would be), for bench/node/stream.bench.ts.
// argv: <reply token count> <tokens per second>; prints {"url": ...} on stdout, exits on SIGTERM.
import { startFakeOllama } from '../../test/helpers/fakeBackends/ollama.ts'

const tokens = Number(process.argv[2] ?? 4)
const rate = Number(process.argv[3] ?? 0)
const reply = Array.from({ length: tokens }, (_, i) => `t${i % 10} `).join('')
const fake = await startFakeOllama({ models: ['llama3'], reply, tokensPerSecond: rate })
process.stdout.write(JSON.stringify({ url: fake.url }) + '\n')
process.on('SIGTERM', () => void fake.close().then(() => process.exit(0)))
