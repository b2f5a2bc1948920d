// What the gateway's routes are given (GatewayDeps) and what a request carries through its middleware
// (GatewayVariables): a leaf, so every route module imports them without importing routes.ts.
import type { Logger } from '../../log.ts'
import type { ApiKeyState } from '../apiKeys.ts'
import type { GatewayChatDeps } from './gatewayChat.ts'
import type { RemoteImageOptions } from './remoteImages.ts'

export type GatewayVariables = { requestId: string; apiKey: ApiKeyState | undefined }

export type GatewayDeps = GatewayChatDeps & {
  logger: Logger
  /** Deepest nesting of arrays and objects a request body may have. */
  maxJsonDepth: number
  /** Remote image URLs: fetched and inlined (remoteImages.ts), or refused. */
  remoteImages: RemoteImageOptions & { enabled: boolean }
}
