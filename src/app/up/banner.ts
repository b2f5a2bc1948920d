// What `infernet up` prints once the network is running: where to point a client, and how.

export type BannerParameters = {
  gatewayUrl: string
  relayUrl: string
  dataDir: string
  model: string
  nodes: { name: string; pubkey: string; backend: string; streamUrl: string }[]
  chain?: { rpcUrl: string; settlement: string } | undefined
  demo: boolean
}

export function banner(p: BannerParameters): string {
  const base = `${p.gatewayUrl}/v1`
  const lines = [
    '',
    'Infernet is up on 127.0.0.1.',
    '',
    `  Gateway (OpenAI-compatible)  ${base}`,
    `  Status page                  ${p.gatewayUrl}/`,
    `  Relay                        ${p.relayUrl}`,
    ...(p.chain ? [`  Dev chain (anvil)            ${p.chain.rpcUrl}   settlement contract ${p.chain.settlement}`] : ['  Payments                     off (--no-chain)']),
    `  Data                         ${p.dataDir}`,
    '',
    ...p.nodes.map((n) => `  Node ${n.name.padEnd(22)} ${n.pubkey.slice(0, 16)}…  backend ${n.backend}  stream ${n.streamUrl}`),
    ...(p.demo ? ['', '  No GPU backend was found, so the nodes run the built-in DEMO backend (model "demo"): it streams', '  canned text at a realistic pace so you can try routing, encryption, streaming and receipts.'] : []),
    '',
    'Try it:',
    '',
    `  curl -N ${base}/chat/completions -H 'content-type: application/json' \\`,
    `    -d '{"model":"${p.model}","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'`,
    '',
    '  # with the openai SDK (npm i openai):',
    `  import OpenAI from 'openai'`,
    `  const client = new OpenAI({ baseURL: '${base}', apiKey: 'unused-locally' })`,
    `  const stream = await client.chat.completions.create({ model: '${p.model}', stream: true,`,
    `    messages: [{ role: 'user', content: 'Hello!' }] })`,
    `  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '')`,
    '',
    'Ctrl-C stops everything.',
    '',
  ]
  return lines.join('\n')
}
