// Errors the coordinator answers with over HTTP. Each has an HTTP status and a stable `wireCode`, the code of the
// JSON body in OpenAI's snake_case (`model_not_found`: OpenAI clients match on it); the REST API renders them as
// { error: { code, message } }, the gateway as OpenAI's { error: { message, type, param, code } }. `code` is the
// same code in the project's kebab-case, like every other BaseError's.
import { BaseError, type BaseErrorParameters } from '../errors/base.ts'
import { featureParam } from '../protocol/features.ts'
import { describeShortfall, type FeatureShortfall } from '../routing/featureShortfall.ts'

export type CoordinatorHttpErrorParameters = BaseErrorParameters & {
  status: number
  /** The code of the JSON error body, snake_case as OpenAI's (`model_not_found`). */
  wireCode: string
  /** OpenAI error `type` (invalid_request_error, authentication_error, ...). */
  type?: string | undefined
  param?: string | undefined
  retryAfterSeconds?: number | undefined
}

export class CoordinatorHttpError extends BaseError {
  override name = 'CoordinatorHttpError'
  readonly status: number
  readonly wireCode: string
  readonly type: string
  readonly param: string | undefined
  readonly retryAfterSeconds: number | undefined

  constructor(message: string, { status, wireCode, type, param, retryAfterSeconds, ...rest }: CoordinatorHttpErrorParameters) {
    super(message, { docsPath: 'routing.md', ...rest })
    this.status = status
    this.wireCode = wireCode
    this.code = wireCode.replaceAll('_', '-')
    this.type = type ?? (status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error')
    this.param = param
    this.retryAfterSeconds = retryAfterSeconds
  }
}

export const errors = {
  invalidJson: (detail: string) => new CoordinatorHttpError(`Request body is not valid JSON: ${detail}`, { status: 400, wireCode: 'invalid_json' }),
  tooDeep: (limit: number, offset: number) =>
    new CoordinatorHttpError(`Request body nests arrays and objects more than ${limit} levels deep (at character ${offset}); flatten the field that nests this deep.`, {
      status: 400,
      wireCode: 'json_too_deep',
    }),
  invalidRequest: (message: string, param?: string) => new CoordinatorHttpError(message, { status: 400, wireCode: 'invalid_request', param }),
  invalidEvent: (reason: string) => new CoordinatorHttpError(`Job request event rejected: ${reason}`, { status: 400, wireCode: 'invalid_event' }),
  tooLarge: (limit: number) => new CoordinatorHttpError(`Request body exceeds ${limit} bytes.`, { status: 413, wireCode: 'payload_too_large' }),
  modelNotFound: (model: string) =>
    new CoordinatorHttpError(`The model \`${model}\` does not exist or no node serves it.`, { status: 404, wireCode: 'model_not_found', param: 'model' }),
  weightsNotServed: (model: string, digest: string, served: string[]) =>
    new CoordinatorHttpError(
      `No live node serves \`${model}\` with weights ${digest}; ${served.length ? `it is served with ${served.join(', ')}` : 'no node serving it names its weights'}.`,
      { status: 404, wireCode: 'model_not_found', param: 'model' },
    ),
  nodeNotFound: (node: string) => new CoordinatorHttpError(`Node ${node.slice(0, 12)}… is not in the live market (no fresh heartbeat, or its backend is down).`, { status: 404, wireCode: 'node_not_found' }),
  jobNotFound: (id: string) => new CoordinatorHttpError(`No job ${id.slice(0, 12)}… has been indexed.`, { status: 404, wireCode: 'job_not_found' }),
  notFound: (path: string) => new CoordinatorHttpError(`No route for ${path}.`, { status: 404, wireCode: 'not_found' }),
  /**
   * A 400 naming the request field to drop: no live node serves the model with what it asks for (nips/capability.md,
   * "Features"). `names` renames Chat Completions fields for an endpoint that calls them otherwise (/v1/responses).
   */
  unsupportedFeature: (shortfall: FeatureShortfall, names?: Readonly<Partial<Record<string, string>>>) => {
    const param = featureParam[shortfall.missing[0]!]
    const named = names?.[param] ?? param
    return new CoordinatorHttpError(`${describeShortfall(shortfall).replace(/^no/, 'No')}; drop \`${named}\` or pick a model whose nodes announce ${shortfall.missing.join(', ')}.`, {
      status: 400,
      wireCode: 'unsupported_feature',
      param: named,
      docsPath: 'capability.md',
    })
  },
  /**
   * A 400 for a field or value OpenAI defines that this gateway does not serve (`unsupported_parameter`,
   * `unsupported_value`, OpenAI's own codes), saying why and what to do instead.
   */
  unsupported: (message: string, param: string, wireCode: 'unsupported_parameter' | 'unsupported_value' = 'unsupported_parameter') =>
    new CoordinatorHttpError(message, { status: 400, wireCode, param }),
  /** /v1/responses/:id and the like: this gateway keeps no responses (every response is answered `store: false`). */
  responseNotStored: (id: string) =>
    new CoordinatorHttpError(
      `No response \`${id}\` is stored: this gateway is stateless and keeps no responses (each one is answered with store: false). Send the whole conversation as \`input\` instead of retrieving or chaining a stored response.`,
      { status: 404, wireCode: 'response_not_found', param: 'response_id' },
    ),
  noCapacity: (model: string) =>
    new CoordinatorHttpError(`No node serving \`${model}\` can take this request: each is above the price limit, excluded by the query, or its weights differ.`, { status: 503, wireCode: 'no_capacity', retryAfterSeconds: 5 }),
  busy: (model: string, { busy, retryAfterSeconds }: { busy: number; retryAfterSeconds: number }) =>
    new CoordinatorHttpError(
      `Every node serving \`${model}\` is busy (${busy === 1 ? 'its' : `all ${busy} nodes'`} slots and queue places are taken); retry in ${retryAfterSeconds}s.`,
      { status: 503, wireCode: 'busy', type: 'server_error', retryAfterSeconds },
    ),
  duplicateJob: (id: string) =>
    new CoordinatorHttpError(`Job ${id.slice(0, 12)}… was already submitted; a signed job request runs once (sign a new one to run it again).`, { status: 409, wireCode: 'duplicate_job' }),
  tooManyStreams: (limit: number, whose: string) =>
    new CoordinatorHttpError(`${limit} job streams are open on ${whose}, the most it allows; close one (or poll GET /api/v1/jobs/:id) and retry.`, {
      status: 429,
      wireCode: 'too_many_streams',
      retryAfterSeconds: 5,
    }),
  publishFailed: (detail: string) => new CoordinatorHttpError(`No relay accepted the job request: ${detail}`, { status: 502, wireCode: 'publish_failed' }),
  invalidApiKey: () => new CoordinatorHttpError('Incorrect API key provided.', { status: 401, wireCode: 'invalid_api_key' }),
  insufficientQuota: (hold?: { needed: bigint; left: bigint; held: bigint }) =>
    new CoordinatorHttpError(
      hold
        ? `You exceeded your current quota: this request could cost up to ${hold.needed} (its prompt and max_tokens at the price of the nodes serving it), and this API key has ${hold.left} left${hold.held > 0n ? ` (${hold.held} more is held by its requests in flight)` : ''}.`
        : 'You exceeded your current quota (the budget of this API key is spent).',
      {
        status: 429,
        wireCode: 'insufficient_quota',
        type: 'insufficient_quota',
        ...(hold ? { metaMessages: ['Lower max_tokens, shorten the prompt, wait for requests in flight to finish, or raise the budget of this key.'] } : {}),
      },
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new CoordinatorHttpError(`Rate limit reached for this API key; retry in ${retryAfterSeconds}s.`, { status: 429, wireCode: 'rate_limit_exceeded', retryAfterSeconds }),
  upstream: (message: string, status = 502, wireCode = 'upstream_error', retryAfterSeconds?: number) =>
    new CoordinatorHttpError(message, { status, wireCode, type: 'server_error', retryAfterSeconds }),
}
