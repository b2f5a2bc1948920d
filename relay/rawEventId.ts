// The id of an EVENT message read without parsing the message. NIP-01 wants an `OK` for every EVENT, and a client
// waits on it by id, but a message over the size limit is refused precisely so that it is not JSON.parsed. One
// pass over the frame finds the event object's top-level "id" wherever it sits: nostr-tools writes it after the
// content, so a look at the first few KiB misses it for exactly the events that are too large. Strings are
// skipped with indexOf and nested values by depth, so an "id" inside the content or a tag is never taken.

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++
  return i
}

/** Index just past the string that opens at s[i] (a '"'), or -1 when it never closes. */
function stringEnd(s: string, i: number): number {
  let from = i + 1
  for (;;) {
    const quote = s.indexOf('"', from)
    if (quote < 0) return -1
    let backslashes = 0
    for (let k = quote - 1; k > i && s.charCodeAt(k) === 0x5c; k--) backslashes++
    if (backslashes % 2 === 0) return quote + 1
    from = quote + 1
  }
}

/** Index just past the JSON value that starts at s[i], or -1 when the frame ends first. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i)
  if (c === 0x22) return stringEnd(s, i)
  if (c === 0x7b || c === 0x5b) {
    let depth = 0
    for (let j = i; j < s.length; j++) {
      const d = s.charCodeAt(j)
      if (d === 0x22) {
        j = stringEnd(s, j) - 1
        if (j < 0) return -1
      } else if (d === 0x7b || d === 0x5b) depth++
      else if (d === 0x7d || d === 0x5d) {
        depth--
        if (depth === 0) return j + 1
      }
    }
    return -1
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i
  while (j < s.length) {
    const d = s.charCodeAt(j)
    if (d === 0x2c || d === 0x7d || d === 0x5d || isSpace(d)) break
    j++
  }
  return j > i ? j : -1
}

/** The 64-hex `id` of the event in `["EVENT", {...}]`, or undefined when the frame is not one or has none. */
export function findEventId(frame: string): string | undefined {
  let i = skipSpace(frame, 0)
  if (frame[i] !== '[') return undefined
  i = skipSpace(frame, i + 1)
  if (!frame.startsWith('"EVENT"', i)) return undefined
  i = skipSpace(frame, i + 7)
  if (frame[i] !== ',') return undefined
  i = skipSpace(frame, i + 1)
  if (frame[i] !== '{') return undefined
  i++
  for (;;) {
    i = skipSpace(frame, i)
    if (frame[i] !== '"') return undefined
    const keyEnd = stringEnd(frame, i)
    if (keyEnd < 0) return undefined
    const raw = frame.slice(i, keyEnd)
    let key: unknown
    try {
      key = raw.includes('\\') ? JSON.parse(raw) : raw.slice(1, -1)
    } catch {
      return undefined
    }
    i = skipSpace(frame, keyEnd)
    if (frame[i] !== ':') return undefined
    i = skipSpace(frame, i + 1)
    if (key === 'id') return /^"([0-9a-f]{64})"/.exec(frame.slice(i, i + 66))?.[1]
    const end = valueEnd(frame, i)
    if (end < 0) return undefined
    i = skipSpace(frame, end)
    if (frame[i] !== ',') return undefined
    i++
  }
}
