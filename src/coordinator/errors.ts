// Errors the coordinator answers with. Each has a stable `code` (in JSON bodies) and an HTTP status; the REST
// API renders them as { error: { code, message } }, the gateway as OpenAI's { error: { message, type, param, code } }.
import { BaseError, type BaseErrorParameters } from '../errors/base.ts'

export type CoordinatorErrorParameters = BaseErrorParameters & {
  status: number
  code: string
  /** OpenAI error `type` (invalid_request_error, authentication_error, ...). */
  type?: string | undefined
  param?: string | undefined
  retryAfterSeconds?: number | undefined
}

export class CoordinatorError extends BaseError {
  override name = 'CoordinatorError'
  readonly status: number
  readonly type: string
  readonly param: string | undefined
  readonly retryAfterSeconds: number | undefined

  constructor(message: string, { status, code, type, param, retryAfterSeconds, ...rest }: CoordinatorErrorParameters) {
    super(message, { docsPath: 'routing.md', ...rest })
    this.status = status
    this.code = code
    this.type = type ?? (status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error')
    this.param = param
    this.retryAfterSeconds = retryAfterSeconds
  }
}

export const errors = {
  invalidJson: (detail: string) => new CoordinatorError(`Request body is not valid JSON: ${detail}`, { status: 400, code: 'invalid_json' }),
  invalidRequest: (message: string, param?: string) => new CoordinatorError(message, { status: 400, code: 'invalid_request', param }),
  invalidEvent: (reason: string) => new CoordinatorError(`Job request event rejected: ${reason}`, { status: 400, code: 'invalid_event' }),
  tooLarge: (limit: number) => new CoordinatorError(`Request body exceeds ${limit} bytes.`, { status: 413, code: 'payload_too_large' }),
  modelNotFound: (model: string) =>
    new CoordinatorError(`The model \`${model}\` does not exist or no node serves it.`, { status: 404, code: 'model_not_found', param: 'model' }),
  weightsNotServed: (model: string, digest: string, served: string[]) =>
    new CoordinatorError(
      `No live node serves \`${model}\` with weights ${digest}; ${served.length ? `it is served with ${served.join(', ')}` : 'no node serving it names its weights'}.`,
      { status: 404, code: 'model_not_found', param: 'model' },
    ),
  nodeNotFound: (node: string) => new CoordinatorError(`Node ${node.slice(0, 12)}… is not in the live market (no fresh heartbeat, or its backend is down).`, { status: 404, code: 'node_not_found' }),
  jobNotFound: (id: string) => new CoordinatorError(`No job ${id.slice(0, 12)}… has been indexed.`, { status: 404, code: 'job_not_found' }),
  notFound: (path: string) => new CoordinatorError(`No route for ${path}.`, { status: 404, code: 'not_found' }),
  noCapacity: (model: string) =>
    new CoordinatorError(`Every node serving \`${model}\` is busy, stale or above your price limit.`, { status: 503, code: 'no_capacity', retryAfterSeconds: 5 }),
  publishFailed: (detail: string) => new CoordinatorError(`No relay accepted the job request: ${detail}`, { status: 502, code: 'publish_failed' }),
  invalidApiKey: () => new CoordinatorError('Incorrect API key provided.', { status: 401, code: 'invalid_api_key' }),
  insufficientQuota: () =>
    new CoordinatorError('You exceeded your current quota (the budget of this API key is spent).', { status: 429, code: 'insufficient_quota', type: 'insufficient_quota' }),
  rateLimited: (retryAfterSeconds: number) =>
    new CoordinatorError(`Rate limit reached for this API key; retry in ${retryAfterSeconds}s.`, { status: 429, code: 'rate_limit_exceeded', retryAfterSeconds }),
  upstream: (message: string, status = 502, code = 'upstream_error', retryAfterSeconds?: number) =>
    new CoordinatorError(message, { status, code, type: 'server_error', retryAfterSeconds }),
}
