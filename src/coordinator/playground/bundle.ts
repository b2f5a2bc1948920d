// The playground's script (browser/main.ts with the SDK it imports), bundled for the browser by esbuild on the
// first request and kept in memory. Bundling here rather than in a build step keeps the coordinator runnable from
// a clean clone after `npm ci`, like every other part (the CLI runs its TypeScript through tsx). esbuild is a
// runtime dependency for this reason; tsx already installs it in production, so it costs nothing extra. It is
// imported only when the playground is first opened, so a coordinator nobody browses never loads it.
import { fileURLToPath } from 'node:url'

export type BuildPlaygroundScript = () => Promise<string>

const entry = fileURLToPath(new URL('./browser/main.ts', import.meta.url))

/** esbuild over browser/main.ts: one self-contained ES module (platform "browser": a Node built-in fails the build). */
export async function bundlePlaygroundScript(): Promise<string> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** Builds once, on first use; a failed build is tried again on the next request rather than cached. */
export function memoizeBuild(build: BuildPlaygroundScript): BuildPlaygroundScript {
  let pending: Promise<string> | undefined
  return () => {
    pending ??= build().catch((err: unknown) => {
      pending = undefined
      throw err
    })
    return pending
  }
}
