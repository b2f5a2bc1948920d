// Preloaded into each process the soak bench measures (NODE_OPTIONS="--expose-gc --import=<this file>"): on
// SIGUSR2 it collects garbage until the heap stops shrinking and writes one line to stderr,
// {"memoryProbe":{"rss":…,"heapUsed":…,"external":…,"arrayBuffers":…}}. Plain JavaScript: it loads before the
// CLI registers tsx. Nothing else in the process changes.
const gc = globalThis.gc
const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

async function probe() {
  if (gc) {
    // Several rounds: finalizers and weak callbacks run between them and free more on the next.
    let last = Infinity
    for (let i = 0; i < 8; i++) {
      gc()
      await settle()
      const used = process.memoryUsage().heapUsed
      if (used >= last * 0.995) break
      last = used
    }
  }
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
  process.stderr.write(JSON.stringify({ memoryProbe: { rss, heapUsed, external, arrayBuffers, gc: Boolean(gc) } }) + '\n')
}

process.on('SIGUSR2', () => void probe())
