// OpenAI's `n`: a request for n choices is n jobs, each routed, held against the budget and paid on its own (a node
// serves one completion per job). Their seeds differ, so seeded choices are distinct and each reproducible; the
// answers are put back together in choice order (openai.ts renders them; routes.ts interleaves their streams).
import { choiceParams } from '../../protocol/generationParams.ts'
import type { GatewayChatRequest } from './openai.ts'

/** The job of choice `i` of `req`: the same request, one choice, the seed (when given) shifted by i. */
export function choiceRequest(req: GatewayChatRequest, i: number): GatewayChatRequest {
  return { ...req, n: undefined, params: choiceParams(req.params, i) }
}

/** The requests of every choice; one choice is the request itself. */
export function choiceRequests(req: GatewayChatRequest): GatewayChatRequest[] {
  const n = req.n ?? 1
  return n === 1 ? [req] : Array.from({ length: n }, (_, i) => choiceRequest(req, i))
}
