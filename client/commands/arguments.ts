// The arguments of `infernet chat`, `infernet nodes` and `infernet models` as yargs hands them over. A leaf module,
// so command modules and handlers share them without importing each other.
import type { AuditMethod } from '../../src/protocol/auditMethod.ts'

export type ChatCommandArguments = {
  prompt: string
  model?: string | undefined
  coordinator?: string | undefined
  routing?: string | undefined
  system?: string | undefined
  'max-tokens'?: number | undefined
  temperature?: number | undefined
  'top-p'?: number | undefined
  seed?: number | undefined
  stop?: string[] | undefined
  n?: number | undefined
  tools?: string | undefined
  'tool-choice'?: string | undefined
  schema?: string | undefined
  format?: 'json' | undefined
  image?: string[] | undefined
  logprobs?: boolean | undefined
  'top-logprobs'?: number | undefined
  'reasoning-effort'?: 'none' | 'minimal' | 'low' | 'medium' | 'high' | undefined
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
}

export type MarketCommandArguments = {
  model?: string | undefined
  coordinator?: string | undefined
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
}

export type AuditCommandArguments = {
  node: string
  model: string
  'reference-url'?: string | undefined
  'reference-node'?: string | undefined
  jobs: number
  'max-tokens': number
  seed?: number | undefined
  method?: 'auto' | AuditMethod | undefined
  digest?: string | undefined
  threshold?: number | undefined
  'dry-run'?: boolean | undefined
  'pay-from'?: string | undefined
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
}
