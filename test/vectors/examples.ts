// Plaintext contents of the example events in events.json; nips/*.md show the same objects.
export const examplePayload = {
  v: 1,
  model: 'llama3.2:3b',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Say hello.' },
  ],
  params: { max_tokens: 64, temperature: 0.2 },
  bid: { input: '100000', output: '400000' },
  transport: 'direct',
} as const

export const exampleCapability = {
  v: 1 as const,
  name: 'example-node',
  software: 'infernet/0.1.0',
  backend: 'ollama',
  models: [{ id: 'llama3.2:3b', contextLength: 131072 }],
  price: { input: '50000', output: '200000' },
  gpus: [{ vendor: 'nvidia' as const, name: 'NVIDIA H200', vramMiB: 143771, driver: '570.124.06' }],
  region: 'eu-central',
  stream: 'http://127.0.0.1:8790',
  maxConcurrency: 4,
  maxPromptBytes: 200000,
}

/** The capabilityFeatures vector: two models, one saying what it supports (nips/capability.md, "Features"), one from before the field. */
export const exampleCapabilityFeatures = {
  ...exampleCapability,
  backend: 'llamacpp',
  models: [
    { id: 'qwen2.5:7b', contextLength: 32768, features: ['chat', 'tools', 'json_schema', 'logprobs'] },
    { id: 'llama3.2:3b', contextLength: 131072 },
  ],
}

export const exampleHeartbeat = {
  v: 1 as const,
  models: ['llama3.2:3b'],
  loaded: ['llama3.2:3b'],
  slots: { free: 3, total: 4 },
  queue: 0,
  tps: 142.5,
  ttftMs: 85,
  gpus: [{ utilization: 0.31, vramFreeMiB: 120000 }],
  backendHealthy: true,
}

export const exampleVoucher = {
  payer: '0x0000000000000000000000000000000000000001',
  payee: '0x0000000000000000000000000000000000000002',
  signature: '0x' + '11'.repeat(65),
}

/** The resultRejection vector: the client streamed "Hello?" and the result's hash is that of "Hello!". */
export const exampleRejection = {
  code: 'output-mismatch' as const,
  message: 'output hash does not match the streamed text',
  claimed: { promptTokens: 12, completionTokens: 2 },
}
