// Server-sent events, as the OpenAI-compatible servers write them: `data:` lines (several join with \n),
// `: ping` comment lines, events separated by a blank line, `data: [DONE]` at the end. llama.cpp writes
// in-stream errors as an `error: {...}` field line, which the SSE spec would ignore, so it is surfaced here
// as an event named 'error'. Pure: feed lines, get events.
export type SseEvent = { event: string; data: string }

export function createSseParser(): { push(line: string): SseEvent | undefined; end(): SseEvent | undefined } {
  let data: string[] = []
  let event = 'message'
  const dispatch = (): SseEvent | undefined => {
    if (data.length === 0) {
      event = 'message'
      return undefined
    }
    const out = { event, data: data.join('\n') }
    data = []
    event = 'message'
    return out
  }
  return {
    push(line) {
      if (line === '') return dispatch()
      if (line.startsWith(':')) return undefined
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'data') data.push(value)
      else if (field === 'event') event = value
      else if (field === 'error') {
        // llama.cpp: `error: {json}` followed by a blank line; deliver it as its own event right away.
        dispatch()
        return { event: 'error', data: value }
      }
      return undefined
    },
    end: dispatch,
  }
}
