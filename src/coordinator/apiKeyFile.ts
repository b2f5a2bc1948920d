// `--api-key-file`: gateway API keys read from a file, one per line, the shape Docker and Kubernetes secrets take,
// so a key never has to appear in a command line (`ps`) or the environment (`docker inspect`).
import { readFileSync } from 'node:fs'
import { BaseError } from '../errors/base.ts'

export class ApiKeyFileError extends BaseError {
  override name = 'ApiKeyFileError'
  override code = 'api-key-file'
  constructor(path: string, reason: string) {
    super(`API key file ${path} cannot be used: ${reason}`, {
      docsPath: 'routing.md',
      metaMessages: ['It holds one key per line (blank lines and lines starting with # are skipped), e.g. made with `openssl rand -hex 24 > FILE`.'],
    })
  }
}

/** The keys in a key file: one per line, trimmed; blank lines and `#` comments skipped. */
export function parseApiKeyFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

export function readApiKeyFile(path: string): string[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new ApiKeyFileError(path, code === 'ENOENT' ? 'no such file' : (err as Error).message)
  }
  const keys = parseApiKeyFile(text)
  for (const key of keys) if (/\s/.test(key)) throw new ApiKeyFileError(path, 'a key contains whitespace (one key per line)')
  return keys
}
