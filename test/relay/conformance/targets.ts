// The relays the conformance suite runs against, and a `conformance()` wrapper that registers one describe block
// per relay. A test names the relays it is for (`only`) and the relays known to differ from the NIP text
// (`differs`: relay -> reason naming the section of relay/CONFORMANCE.md); those are skipped with that reason,
// so a known difference stays visible in every test run instead of being hidden.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import type { RelayConfig } from '../../../relay/config.ts'
import { connect, type NostrClient } from '../../helpers/nostrClient.ts'
import { startRelay } from '../../helpers/relay.ts'
import { startThirdPartyRelay } from '../../helpers/thirdPartyRelay.ts'

export type RelayName = 'ours' | 'third-party'

export type RunningRelay = { url: string; close(): Promise<void> }

export type RelayTarget = {
  name: RelayName
  start(config?: Partial<RelayConfig> | undefined): Promise<RunningRelay>
}

export const targets: RelayTarget[] = [
  {
    name: 'ours',
    // The production store (SQLite, in a temp dir): the memory store is checked against it by relay's oracle test.
    async start(config) {
      const dir = mkdtempSync(join(tmpdir(), 'relay-conformance-'))
      const relay = await startRelay({ dbPath: join(dir, 'relay.db'), ...(config ? { config } : {}) })
      return {
        url: relay.url,
        async close() {
          await relay.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  },
  {
    name: 'third-party',
    start: () => startThirdPartyRelay(),
  },
]

export type ConformanceTestOptions = {
  /** Run only against these relays (a feature the others lack, e.g. NIP-42 with the third-party relay unconfigured). */
  only?: RelayName[] | undefined
  /** Relays known to get this wrong per the NIP: relay -> reason (names the relay/CONFORMANCE.md section). */
  differs?: Partial<Record<RelayName, string>> | undefined
}

export type TestFn = (t: TestContext) => Promise<void>

export type ConformanceContext = {
  target: RelayTarget
  /** URL of the relay started for this describe block. */
  url(): string
  /** A raw client on this block's relay, closed when test `t` ends. */
  client(t: TestContext): Promise<NostrClient>
  test(name: string, options: ConformanceTestOptions, fn: TestFn): void
  test(name: string, fn: TestFn): void
}

export type ConformanceParameters = {
  /** Relay settings for ours (ignored by the third-party relay, which runs with its defaults). */
  config?: Partial<RelayConfig> | undefined
  /** Run this whole block only against these relays. */
  only?: RelayName[] | undefined
}

/** CONFORMANCE_RUN_KNOWN_DIFFERENCES=1 runs the tests marked `differs` too, to check they still fail. */
const runKnownDifferences = process.env.CONFORMANCE_RUN_KNOWN_DIFFERENCES === '1'

/** One describe block per relay under test; the relay is started before its tests and closed after. */
export function conformance(title: string, parameters: ConformanceParameters, body: (ctx: ConformanceContext) => void): void {
  for (const target of targets) {
    const skipBlock = parameters.only && !parameters.only.includes(target.name) ? `not applicable to ${target.name}` : false
    describe(`${title} [${target.name}]`, { skip: skipBlock }, () => {
      let relay: RunningRelay | undefined
      before(async () => {
        relay = await target.start(parameters.config)
      })
      after(async () => {
        await relay?.close()
      })
      const test = (name: string, a: ConformanceTestOptions | TestFn, b?: TestFn) => {
        const options = typeof a === 'function' ? {} : a
        const fn = typeof a === 'function' ? a : (b as TestFn)
        const reason = options.only && !options.only.includes(target.name)
          ? `${target.name} does not implement this (see relay/CONFORMANCE.md)`
          : runKnownDifferences ? undefined : options.differs?.[target.name]
        it(name, { skip: reason ?? false }, fn)
      }
      const url = () => {
        if (!relay) throw new Error('relay not started')
        return relay.url
      }
      body({
        target,
        url,
        async client(t) {
          const c = await connect(url())
          t.after(() => c.close())
          return c
        },
        test: test as ConformanceContext['test'],
      })
    })
  }
}
