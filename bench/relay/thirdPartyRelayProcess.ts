// Runs the third-party relay (test/helpers/thirdPartyRelay.ts) as its own process for the benchmarks, so that its
// CPU and RSS are measured apart from the load generator. Prints one JSON ready line; SIGTERM stops it.
// Usage: node --import tsx bench/relay/thirdPartyRelayProcess.ts <dbPath>
import { startThirdPartyRelay } from '../../test/helpers/thirdPartyRelay.ts'

const dbPath = process.argv[2] ?? ':memory:'
const relay = await startThirdPartyRelay({ dbPath, maxPayload: 512 * 1024 })
process.stdout.write(JSON.stringify({ ready: true, url: relay.url, pid: process.pid }) + '\n')
const stop = () => {
  relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
