// Headless Chromium for the browser tests: Debian's package at /usr/bin/chromium, installed on first need by
// scripts/ensureChromium.sh (which needs root or passwordless sudo). A test that drives it skips with the reason
// chromiumMissing() gives, so a machine that cannot install it says why instead of failing.
//
//   test('…', { skip: chromiumMissing() }, async (t) => {
//     const browser = await chromium.launch({ executablePath: chromiumExecutablePath, args: chromiumArgs })
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const chromiumExecutablePath = '/usr/bin/chromium'

/** Flags for a quiet, sandbox-free headless run (CI containers have no user namespaces, no GPU, no network). */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** Undefined when Chromium is there (installing it if it can); otherwise why not, as a test's skip reason. */
export function chromiumMissing(): string | undefined {
  if (existsSync(chromiumExecutablePath)) return undefined
  const script = fileURLToPath(new URL('../../scripts/ensureChromium.sh', import.meta.url))
  const r = spawnSync('bash', [script], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 })
  if (existsSync(chromiumExecutablePath)) return undefined
  return `chromium is not installed and scripts/ensureChromium.sh could not install it: ${r.stderr?.toString().trim().split('\n').pop() ?? r.error?.message}`
}
