// Runs the third-party relay (thirdPartyRelay.ts) as its own process, so that its CPU and RSS are apart from the
// load generator's (benchmarks, and networks started with `thirdPartyRelay: 'process'`). Prints one JSON ready line;
// SIGTERM stops it. Usage: node --import tsx test/helpers/thirdPartyRelayProcess.ts <dbPath>
import { startThirdPartyRelay } from './thirdPartyRelay.ts'

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
