// Settings of the client commands (`infernet chat`, `nodes`, `models`): every key with its environment variable,
// default and description. The SDK itself reads no environment; only the CLI does, through this module.
import { key, parsers } from '../src/config/load.ts'
import { parsePublicKey } from '../src/keys/identity.ts'

export const clientSchema = {
  coordinator: key('INFERNET_COORDINATOR', undefined as string | undefined, 'Coordinator URL to ask for candidates (default: discover from relays)', parsers.optionalString),
  model: key('INFERNET_MODEL', undefined as string | undefined, 'Model for `infernet chat` (default: the model most live nodes serve)', parsers.optionalString),
  routing: key('INFERNET_ROUTING', 'reliable', 'Routing policy: reliable, cheapest, fastest, pin:<npub|hex>, region:<name>', parsers.string),
  acceptTimeoutMs: key('INFERNET_ACCEPT_TIMEOUT_MS', 5000, 'Fail over when a node does not accept a job within this many ms', parsers.int),
  trustedAuditors: key('INFERNET_TRUSTED_AUDITORS', [] as string[], 'Auditor keys (npub or hex, comma-separated): a node failing their audits on a model gets no job for it', (raw: unknown) => parsers.list(raw).map(parsePublicKey)),
  discoveryTimeoutMs: key('INFERNET_DISCOVERY_TIMEOUT_MS', 5000, 'How long to wait for relays and the market to load', parsers.int),
}
