// Regenerates test/vectors/features.json: what sample chat requests need of a model (src/protocol/features.ts
// `requiredFeatures`) and what sample capability entries lack for them (`missingFeatures`, with the rule for a
// model without `features`). Pure, so always made again; another router must reproduce every case.
// Run: node --import tsx scripts/makeFeatureVectors.ts
import { writeFileSync } from 'node:fs'
import { missingFeatures, requiredFeatures, type FeatureRequest, type ModelFeature } from '../src/protocol/features.ts'

const user = (content: unknown) => ({ role: 'user', content })
const tool = { type: 'function', function: { name: 'now', description: 'the time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } }
const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }

const requests: { name: string; request: FeatureRequest }[] = [
  { name: 'plain text', request: { messages: [user('Say hello.')], params: { max_tokens: 64 } } },
  { name: 'tools', request: { messages: [user('What time is it?')], params: { tools: [tool] } } },
  { name: 'tool_choice alone', request: { messages: [user('What time is it?')], params: { tool_choice: 'required' } } },
  { name: 'tool_choice none, no tools', request: { messages: [user('Hi')], params: { tool_choice: 'none' } } },
  { name: 'empty tools list', request: { messages: [user('Hi')], params: { tools: [] } } },
  {
    name: 'a tool turn in the history',
    request: {
      messages: [
        user('What time is it?'),
        { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'now', arguments: '{}' } }] },
        { role: 'tool', content: '12:00', tool_call_id: 'call_1' } as FeatureRequest['messages'][number],
      ],
    },
  },
  { name: 'image part', request: { messages: [user([{ type: 'text', text: 'What is this?' }, image])] } },
  { name: 'text parts only', request: { messages: [user([{ type: 'text', text: 'Hi' }])] } },
  { name: 'json_schema', request: { messages: [user('Extract')], params: { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } } } } },
  { name: 'json_object (plain JSON mode)', request: { messages: [user('JSON please')], params: { response_format: { type: 'json_object' } } } },
  { name: 'logprobs', request: { messages: [user('Hi')], params: { logprobs: true, top_logprobs: 3 } } },
  { name: 'logprobs false', request: { messages: [user('Hi')], params: { logprobs: false } } },
  { name: 'reasoning_effort', request: { messages: [user('Think')], params: { reasoning_effort: 'high' } } },
  { name: 'reasoning_effort none', request: { messages: [user('Quick')], params: { reasoning_effort: 'none' } } },
  {
    name: 'everything at once',
    request: { messages: [user([image])], params: { tools: [tool], response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } }, logprobs: true, reasoning_effort: 'low' } },
  },
]

const models: { name: string; model: { features?: string[] } }[] = [
  { name: 'no features field (a node from before it)', model: {} },
  { name: 'chat, json_schema, logprobs (llama-server, template without tools)', model: { features: ['chat', 'json_schema', 'logprobs'] } },
  { name: 'chat with tools and vision (Ollama)', model: { features: ['chat', 'tools', 'vision', 'json_schema'] } },
  { name: 'embedding-only model', model: { features: ['embeddings'] } },
  { name: 'a feature this code does not know', model: { features: ['chat', 'tools', 'audio_out'] } },
]
const asks: ModelFeature[][] = [['chat'], ['chat', 'tools'], ['chat', 'vision', 'json_schema'], ['chat', 'logprobs', 'reasoning']]

const vectors = {
  description:
    'Model features (src/protocol/features.ts, nips/capability.md "Features"): the features each sample chat request needs (requiredFeatures, by OpenAI field names), and the required features each sample capability model entry lacks (missingFeatures; a model without `features` supports plain text chat only).',
  required: requests.map(({ name, request }) => ({ name, request, features: requiredFeatures(request) })),
  missing: models.flatMap(({ name, model }) => asks.map((required) => ({ name, model, required, missing: missingFeatures(model, required) }))),
}
writeFileSync(new URL('../test/vectors/features.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n')
console.log('wrote test/vectors/features.json')
