// What `infernet up` prints once the network is running: where to point a client, and how.

export type BannerParameters = {
  gatewayUrl: string
  relayUrl: string
  dataDir: string
  model: string
  nodes: { name: string; pubkey: string; npub: string; home: string; backend: string; streamUrl: string }[]
  chain?: { rpcUrl: string; settlement: string } | undefined
  demo: boolean
  /** The CLI home `infernet up` prepared: its key (funded when there is a chain) and a config.json for this network. */
  client: { home: string; address: string; funded: boolean }
}

export function banner(p: BannerParameters): string {
  const base = `${p.gatewayUrl}/v1`
  const lines = [
    '',
    'Infernet is up on 127.0.0.1.',
    '',
    `  Gateway (OpenAI-compatible)  ${base}`,
    `  Status page                  ${p.gatewayUrl}/`,
    `  Playground (chat in a page)  ${p.gatewayUrl}/playground`,
    `  Relay                        ${p.relayUrl}`,
    ...(p.chain ? [`  Dev chain (anvil)            ${p.chain.rpcUrl}   settlement contract ${p.chain.settlement}`] : ['  Payments                     off (--no-chain)']),
    `  Data                         ${p.dataDir}`,
    '',
    ...p.nodes.map((n) => `  Node ${n.name.padEnd(22)} ${n.npub}  backend ${n.backend}  stream ${n.streamUrl}`),
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
    `The CLI on this network (${p.client.home} holds a key${p.client.funded ? ' funded with 10 ETH' : ''} and a config.json naming this relay${p.chain ? ' and chain' : ''}):`,
    '',
    `  export INFERNET_HOME=${p.client.home}`,
    '  npx infernet nodes',
    ...(p.chain && p.nodes[0]
      ? [
          `  npx infernet deposit 1000000000000000 --node ${p.nodes[0].npub}`,
          `  npx infernet chat "Hello!" --model ${p.model} --routing pin:${p.nodes[0].npub}   # pays from that deposit`,
          '  npx infernet balance',
          `  INFERNET_HOME=${p.nodes[0].home} npx infernet payout --dry-run`,
        ]
      : [`  npx infernet chat "Hello!" --model ${p.model}`]),
    '',
    'Ctrl-C stops everything.',
    '',
  ]
  return lines.join('\n')
}
