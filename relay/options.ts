// The arguments `infernet relay` passes from its command builder (cli.ts) to the process side (run.ts). A leaf
// module, so the lazily imported run.ts and the builder do not import each other.
export type RelayCommandArguments = {
  host?: string | undefined
  port?: number | undefined
  db?: string | undefined
  config?: string | undefined
  json?: boolean | undefined
}
