// GET /playground (the page) and GET /playground/app.js (its script with the SDK, bundled on first request).
import type { Hono } from 'hono'
import { bundlePlaygroundScript, memoizeBuild, type BuildPlaygroundScript } from './bundle.ts'
import { playgroundCsp, playgroundScriptPath, renderPlaygroundPage } from './page.ts'

export type RegisterPlaygroundParameters = {
  /** The relays the page starts from (the coordinator's own); the visitor can change them. */
  relays: string[]
  /** Replaces the esbuild bundle (tests). */
  buildScript?: BuildPlaygroundScript | undefined
}

export function registerPlayground(app: Hono, { relays, buildScript = bundlePlaygroundScript }: RegisterPlaygroundParameters): void {
  const page = renderPlaygroundPage({ relays })
  const script = memoizeBuild(buildScript)
  app.get('/playground', (c) => {
    c.header('content-security-policy', playgroundCsp)
    return c.html(page)
  })
  app.get(playgroundScriptPath, async (c) => {
    // The same text for the life of the process; a new coordinator version must be fetched again.
    c.header('cache-control', 'no-cache')
    return c.body(await script(), 200, { 'content-type': 'text/javascript; charset=utf-8' })
  })
}
