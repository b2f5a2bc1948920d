// The arguments of the node commands (setup, start, stop, status, logs) as yargs hands them over: the global
// options plus the node flags. A leaf module, so command modules and handlers share it without importing each other.
export type NodeCommandArguments = {
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
  verbose?: boolean | undefined
  backend?: string | undefined
  backendUrl?: string | undefined
  model?: string[] | undefined
  price?: string | undefined
  priceIn?: string | undefined
  priceOut?: string | undefined
  host?: string | undefined
  port?: number | undefined
  publicUrl?: string | undefined
  authUrl?: string[] | undefined
  maxConcurrency?: number | undefined
  maxQueue?: number | undefined
  name?: string | undefined
  region?: string | undefined
  daemon?: boolean | undefined
  yes?: boolean | undefined
  key?: string | undefined
  installBackend?: boolean | undefined
  pull?: boolean | undefined
  follow?: boolean | undefined
}
