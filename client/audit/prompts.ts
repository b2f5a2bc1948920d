// Prompts for audit jobs: short everyday requests, like much of a chat network's traffic, so an audit job's size
// says nothing about it. Which ones an audit sends follows its seed.
const pool = [
  'Name three colours.',
  'What is two plus two?',
  'Write a short greeting.',
  'Give me a synonym for happy.',
  'Summarise the water cycle in one sentence.',
  'List the days of the week.',
  'What is the capital of Italy?',
  'Suggest a name for a cat.',
  'Translate "good morning" into French.',
  'Write a haiku about rain.',
  'How many legs does a spider have?',
  'Explain what a noun is.',
  'Recommend a fruit for breakfast.',
  'What comes after Tuesday?',
  'Describe the sky at night.',
  'Give one tip for better sleep.',
]

export function auditPrompts(count: number, seed: number): { messages: { role: 'user'; content: string }[] }[] {
  return Array.from({ length: count }, (_, i) => ({ messages: [{ role: 'user' as const, content: pool[(seed + i * 7) % pool.length]! }] }))
}
