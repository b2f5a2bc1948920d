import { existsSync } from 'node:fs'
import { resolveHome } from '../../config/common.ts'
import { BaseError } from '../../errors/base.ts'
import { exportSecretKey, identityFromSecretKey, keyPath, loadOrCreateIdentity, parseSecretKey, saveIdentity } from '../../keys/identity.ts'
import { printJson, table } from '../../cli/command.ts'

export async function runKeys(argv: { home?: string | undefined; json?: boolean | undefined; import?: string | undefined; export?: boolean | undefined; force?: boolean | undefined }): Promise<void> {
  const home = resolveHome(argv)
  const path = keyPath(home)
  let identity
  let created = false
  if (argv.import !== undefined) {
    if (existsSync(path) && !argv.force) {
      throw new BaseError(`A key already exists at ${path}.`, { metaMessages: ['Pass --force to replace it (the old key is lost unless you exported it).'] })
    }
    identity = identityFromSecretKey(parseSecretKey(argv.import))
    saveIdentity(path, identity)
    created = true
  } else {
    ;({ identity, created } = loadOrCreateIdentity(path))
  }
  if (created) process.stderr.write(`[keys] ${argv.import !== undefined ? 'imported' : 'created'} key at ${path} (mode 0600)\n`)
  // Say which payment key pays: a derived one cannot be told from the npub; the Nostr key's own address can.
  const paymentKey = identity.paymentKey === 'derived' ? 'derived (not linkable to the npub)' : 'the Nostr key itself (linkable to the npub; re-import the nsec with --force once its channels are withdrawn)'
  const info: Record<string, string> = { npub: identity.npub, pubkey: identity.pubkey, address: identity.address, paymentKey, path }
  if (argv.export) Object.assign(info, { nsec: exportSecretKey(identity).nsec, secretHex: exportSecretKey(identity).hex })
  if (argv.json) printJson(info)
  else process.stdout.write(table(Object.entries(info).map(([field, value]) => ({ field, value }))) + '\n')
}
