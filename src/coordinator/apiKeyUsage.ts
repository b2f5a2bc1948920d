// What each gateway API key has spent, in its own SQLite file: not in the coordinator's cache (db.ts), which is
// rebuildable from relays and may be deleted at any time. Spending is not on any relay, so deleting it would hand
// every key its whole budget again. Same rule as the gateway's receipts (gateway/payments.ts).
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'

export type ApiKeyUsage = { spent: bigint; requests: number }

export type ApiKeyUsageStore = {
  get(keyId: string): ApiKeyUsage | undefined
  put(keyId: string, usage: ApiKeyUsage): void
  close(): void
}

export function apiKeyUsagePath(home: string): string {
  return join(home, 'api-usage.sqlite')
}

/** Opens (creating) the usage file; ':memory:' keeps nothing (tests). */
export function openApiKeyUsage(path: string): ApiKeyUsageStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  // Money: every charge is on disk before the response that reports it.
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS api_usage (key_id TEXT PRIMARY KEY, spent TEXT NOT NULL, requests INTEGER NOT NULL)')
  const select = db.prepare<[string], { spent: string; requests: number }>('SELECT spent, requests FROM api_usage WHERE key_id = ?')
  const upsert = db.prepare('INSERT INTO api_usage (key_id, spent, requests) VALUES (?, ?, ?) ON CONFLICT (key_id) DO UPDATE SET spent = excluded.spent, requests = excluded.requests')
  return {
    get(keyId) {
      const row = select.get(keyId)
      return row ? { spent: BigInt(row.spent), requests: row.requests } : undefined
    },
    put(keyId, { spent, requests }) {
      upsert.run(keyId, spent.toString(), requests)
    },
    close() {
      if (db.open) db.close()
    },
  }
}
