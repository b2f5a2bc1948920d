// The playground page's script, run in the browser (bundled with the SDK by ../bundle.ts). It talks to relays and
// to the node itself, never to the coordinator that served it: the prompt leaves this page only inside the
// SDK's job request, NIP-44 encrypted to the node. Nothing here logs a prompt or a reply.
import type { ChatMessage, InfernetClient, Nip07Provider } from '../../../../client/index.ts'
import { describeError, noModelMessage, openMarket, parseRelayList, unreachableWarning } from './market.ts'
import { pickSigner, type PlaygroundSigner } from './signer.ts'
import { summarizeJob, type JobTimings } from './summary.ts'

type State = 'connecting' | 'ready' | 'no-models' | 'error' | 'streaming' | 'done'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const ui = {
  relays: $<HTMLInputElement>('relays'),
  connect: $<HTMLButtonElement>('connect'),
  signer: $('signer'),
  status: $('status'),
  warning: $('warning'),
  model: $<HTMLSelectElement>('model'),
  form: $<HTMLFormElement>('chat'),
  prompt: $<HTMLTextAreaElement>('prompt'),
  send: $<HTMLButtonElement>('send'),
  reset: $<HTMLButtonElement>('reset'),
  transcript: $('transcript'),
  summary: $('summary'),
}

let client: InfernetClient | undefined
let signer: PlaygroundSigner | undefined
let history: ChatMessage[] = []
/** Counts connects, so a slow one that a newer one has replaced closes its client instead of installing it. */
let connects = 0

function setStatus(state: State, text: string): void {
  ui.status.dataset.state = state
  ui.status.textContent = text
  ui.status.setAttribute('role', state === 'error' || state === 'no-models' ? 'alert' : 'status')
  ui.send.disabled = state !== 'ready' && state !== 'done'
}

function append(role: ChatMessage['role'], text: string): HTMLElement {
  const el = document.createElement('div')
  el.className = `msg ${role}`
  el.textContent = text
  ui.transcript.append(el)
  return el
}

/** Reading `localStorage` throws where the browser blocks site data; the key then lasts for this page only. */
function localStorageOrNone(): Storage | undefined {
  try {
    return window.localStorage
  } catch {
    return undefined
  }
}

async function connect(): Promise<void> {
  const attempt = ++connects
  setStatus('connecting', 'Connecting to relays…')
  ui.warning.textContent = ''
  ui.model.replaceChildren()
  await client?.close()
  client = undefined
  try {
    const relays = parseRelayList(ui.relays.value)
    // Asked at connect time, not at load: some extensions put window.nostr on the page a little after it loads.
    signer ??= await pickSigner({ provider: (window as { nostr?: Nip07Provider }).nostr, storage: localStorageOrNone() })
    ui.signer.textContent = signer.label
    ui.signer.dataset.kind = signer.kind
    const view = await openMarket({ relays, signer: signer.signer })
    if (attempt !== connects) return void (await view.client.close())
    client = view.client
    ui.warning.textContent = unreachableWarning(view.unreachable) ?? ''
    if (!view.models.length) return setStatus('no-models', noModelMessage(relays))
    for (const m of view.models) ui.model.append(new Option(`${m.id} (${m.nodes} node${m.nodes === 1 ? '' : 's'})`, m.id))
    setStatus('ready', `${view.models.length} model${view.models.length === 1 ? '' : 's'} live. Pick one and send a message.`)
  } catch (err) {
    if (attempt === connects) setStatus('error', describeError(err))
  }
}

function showSummary(rows: ReturnType<typeof summarizeJob>): void {
  ui.summary.replaceChildren(
    ...rows.flatMap((r) => {
      const dt = document.createElement('dt')
      dt.textContent = r.label
      const dd = document.createElement('dd')
      dd.dataset.key = r.key
      dd.textContent = r.value
      return [dt, dd]
    }),
  )
}

async function send(): Promise<void> {
  const text = ui.prompt.value.trim()
  // Enter submits the form even while the button is disabled (connecting, or a reply still streaming).
  if (!client || !text || ui.send.disabled) return
  const model = ui.model.value
  const messages: ChatMessage[] = [...history, { role: 'user', content: text }]
  append('user', text)
  ui.prompt.value = ''
  const reply = append('assistant', '')
  reply.dataset.deltas = '0'
  ui.summary.replaceChildren()
  setStatus('streaming', `Asking ${model}…`)
  const timings: JobTimings = { submittedMs: performance.now(), firstTokenMs: undefined, doneMs: 0 }
  try {
    const stream = client.chat({ model, messages })
    for await (const delta of stream) {
      timings.firstTokenMs ??= performance.now()
      reply.textContent += delta.text
      reply.dataset.deltas = String(Number(reply.dataset.deltas) + 1)
    }
    const result = await stream.result
    timings.doneMs = performance.now()
    reply.textContent = result.text
    history = [...messages, { role: 'assistant', content: result.text }]
    showSummary(summarizeJob(result, timings))
    setStatus('done', 'Done.')
  } catch (err) {
    reply.classList.add('failed')
    setStatus('error', describeError(err))
    // The failed turn stays on screen but not in the conversation sent next time; the client is still usable.
    ui.send.disabled = false
  }
}

ui.connect.addEventListener('click', () => void connect())
ui.form.addEventListener('submit', (e) => {
  e.preventDefault()
  void send()
})
ui.prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault()
    ui.form.requestSubmit()
  }
})
ui.reset.addEventListener('click', () => {
  history = []
  ui.transcript.replaceChildren()
  ui.summary.replaceChildren()
})
void connect()
