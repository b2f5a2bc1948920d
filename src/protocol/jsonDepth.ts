// How deeply a JSON value nests, measured without recursion, so that a value nested thousands of levels deep is
// refused at the door instead of overflowing the stack of whatever serializes it later (the node's backend
// request, a gateway's error handler). The job payload's `params` pass through to the engine untouched
// (generationParams.ts), so they are the one place a client decides the depth. See nips/job-request.md.

/** Most levels of objects and arrays a job's `params` may nest (the params object itself is level 1). */
export const maxParamsDepth = 64

/**
 * Nesting depth of a JSON value: 0 for a scalar, 1 for `{}` or `[]`, one more per level inside. Counting stops
 * once past `limit` (the answer is then `limit + 1`), so a hostile value costs at most its size to measure.
 */
export function jsonDepth(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (depth > limit) return limit + 1
    if (depth > deepest) deepest = depth
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
  return deepest
}
