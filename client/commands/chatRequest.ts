// `infernet chat`'s flags as one chat request: the messages (the prompt, with --image parts) and the generation
// parameters (OpenAI names), each flag checked against the protocol's own schema so that a bad one is refused here,
// naming the flag, before any relay work. Files and remote images come in through injected readers (tests give
// their own); a remote image is fetched here, by the client, and sent as a data: URL (nodes never fetch).
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import type { ChatMessage } from '../../src/protocol/jobRequest.ts'
import { checkImageUrl, type ContentPart } from '../../src/protocol/chatMessage.ts'
import { generationParams, type GenerationParams } from '../../src/protocol/generationParams.ts'
import { maxImageBytes } from '../../src/protocol/limits.ts'
import { InvalidFlagError } from '../errors.ts'
import type { ChatCommandArguments } from './arguments.ts'

export type ChatRequestIo = {
  readFile: (path: string) => Promise<Buffer>
  fetch: typeof globalThis.fetch
}

const defaultIo: ChatRequestIo = { readFile: (path) => readFile(path), fetch: globalThis.fetch }

const imageTypes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' }

async function readJsonFile(flag: string, path: string, io: ChatRequestIo): Promise<unknown> {
  let text: string
  try {
    text = (await io.readFile(path)).toString('utf8')
  } catch (err) {
    throw new InvalidFlagError(`--${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new InvalidFlagError(`--${flag}: ${path} is not JSON (${(err as Error).message})`)
  }
}

/** A data: URL for an --image value: a data: URL as given, a local file by its extension, a remote URL fetched here. */
export async function imageDataUrl(value: string, io: ChatRequestIo = defaultIo): Promise<string> {
  let url: string
  if (value.startsWith('data:')) url = value
  else if (/^https?:\/\//i.test(value)) {
    let res: Response
    try {
      res = await io.fetch(value, { redirect: 'follow', signal: AbortSignal.timeout(15_000) })
    } catch (err) {
      throw new InvalidFlagError(`--image ${value}: could not fetch it (${(err as Error).message})`)
    }
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
    if (!res.ok) throw new InvalidFlagError(`--image ${value}: the server answered ${res.status}`)
    if (!Object.values(imageTypes).includes(type)) throw new InvalidFlagError(`--image ${value}: content type "${type || 'none'}" is not png, jpeg, gif or webp`)
    const declared = Number(res.headers.get('content-length') ?? NaN)
    if (declared > maxImageBytes) throw new InvalidFlagError(`--image ${value}: ${declared} bytes, the limit is ${maxImageBytes}`)
    const bytes = Buffer.from(await res.arrayBuffer())
    if (bytes.length > maxImageBytes) throw new InvalidFlagError(`--image ${value}: ${bytes.length} bytes, the limit is ${maxImageBytes}`)
    url = `data:${type};base64,${bytes.toString('base64')}`
  } else {
    const type = imageTypes[extname(value).toLowerCase()]
    if (!type) throw new InvalidFlagError(`--image ${value}: name a .png, .jpg, .gif or .webp file, a data: URL or an http(s) URL`)
    let bytes: Buffer
    try {
      bytes = await io.readFile(value)
    } catch (err) {
      throw new InvalidFlagError(`--image ${value}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
    if (bytes.length > maxImageBytes) throw new InvalidFlagError(`--image ${value}: ${bytes.length} bytes, the limit is ${maxImageBytes}`)
    url = `data:${type};base64,${bytes.toString('base64')}`
  }
  const why = checkImageUrl(url)
  if (why) throw new InvalidFlagError(`--image ${value.slice(0, 80)}: ${why}`)
  return url
}

/** The tool_choice a --tool-choice value means: auto, none, required, or the name of one of the tools. */
function toolChoiceOf(value: string): GenerationParams['tool_choice'] {
  return value === 'auto' || value === 'none' || value === 'required' ? value : { type: 'function', function: { name: value } }
}

/** Which flag set a parameter, for the error when the protocol's schema refuses it. */
const flagOf: Record<string, string> = {
  max_tokens: 'max-tokens',
  temperature: 'temperature',
  top_p: 'top-p',
  seed: 'seed',
  stop: 'stop',
  tools: 'tools',
  tool_choice: 'tool-choice',
  response_format: 'schema',
  logprobs: 'logprobs',
  top_logprobs: 'top-logprobs',
  reasoning_effort: 'reasoning-effort',
}

export async function chatRequestFromFlags(argv: ChatCommandArguments, io: ChatRequestIo = defaultIo): Promise<{ messages: ChatMessage[]; params: GenerationParams }> {
  const images = await Promise.all((argv.image ?? []).map((v) => imageDataUrl(v, io)))
  const content: string | ContentPart[] = images.length ? [{ type: 'text', text: argv.prompt }, ...images.map((url): ContentPart => ({ type: 'image_url', image_url: { url } }))] : argv.prompt
  const messages: ChatMessage[] = [...(argv.system ? [{ role: 'system' as const, content: argv.system }] : []), { role: 'user' as const, content }]

  const params: Record<string, unknown> = {}
  if (argv['max-tokens'] !== undefined) params.max_tokens = argv['max-tokens']
  if (argv.temperature !== undefined) params.temperature = argv.temperature
  if (argv['top-p'] !== undefined) params.top_p = argv['top-p']
  if (argv.seed !== undefined) params.seed = argv.seed
  if (argv.stop?.length) params.stop = argv.stop
  if (argv['reasoning-effort'] !== undefined) params.reasoning_effort = argv['reasoning-effort']
  if (argv.logprobs || argv['top-logprobs'] !== undefined) params.logprobs = true
  if (argv['top-logprobs'] !== undefined) params.top_logprobs = argv['top-logprobs']
  if (argv.tools !== undefined) {
    const tools = await readJsonFile('tools', argv.tools, io)
    // A file may hold OpenAI's array of tools, or one tool.
    params.tools = Array.isArray(tools) ? tools : [tools]
  }
  if (argv['tool-choice'] !== undefined) {
    if (argv.tools === undefined) throw new InvalidFlagError('--tool-choice needs --tools <file>')
    params.tool_choice = toolChoiceOf(argv['tool-choice'])
    const named = (params.tool_choice as { function?: { name: string } }).function?.name
    const tools = params.tools as { function?: { name?: unknown } }[]
    if (named !== undefined && !tools.some((t) => t?.function?.name === named)) {
      throw new InvalidFlagError(`--tool-choice ${named}: no tool of that name in ${argv.tools} (auto, none, required, or one of: ${tools.map((t) => String(t?.function?.name)).join(', ')})`)
    }
  }
  if (argv.schema !== undefined && argv.format !== undefined) throw new InvalidFlagError('--schema and --format are one choice: give one')
  if (argv.schema !== undefined) {
    const schema = await readJsonFile('schema', argv.schema, io)
    const name = (extname(argv.schema) ? argv.schema.slice(0, -extname(argv.schema).length) : argv.schema).split('/').pop()!.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'response'
    params.response_format = { type: 'json_schema', json_schema: { name, schema, strict: true } }
  } else if (argv.format === 'json') params.response_format = { type: 'json_object' }

  const checked = generationParams.safeParse(params)
  if (!checked.success) {
    const issue = checked.error.issues[0]!
    const [field, ...rest] = issue.path.map(String)
    const where = rest.length ? ` (at ${rest.join('.')})` : ''
    throw new InvalidFlagError(`--${flagOf[field ?? ''] ?? field}${where}: ${issue.message}`)
  }
  return { messages, params: checked.data }
}
