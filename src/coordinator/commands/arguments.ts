// The arguments of `infernet coordinator` as yargs hands them over. A leaf module, so the command module and its
// handler share them without importing each other.
export type CoordinatorCommandArguments = {
  home?: string | undefined
  relay?: string[] | undefined
  json?: boolean | undefined
  host?: string | undefined
  port?: number | undefined
  db?: string | undefined
  apiKey?: string[] | undefined
  apiKeyFile?: string | undefined
  keysFile?: string | undefined
}
