// `infernet <typo> --help` printed the root help and exited 0, as if the command existed. The entry checks the
// command word itself, before yargs, so every form (with or without --help) names the unknown command.

/** Options of the root that take a value, so their value is not mistaken for the command word. */
const valueOptions: ReadonlySet<string> = new Set(['--home', '--relay'])

/** The first argument that is not an option or an option's value. */
export function commandWord(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') return argv[i + 1]
    if (arg.startsWith('-')) {
      if (valueOptions.has(arg)) i++
      continue
    }
    return arg
  }
  return undefined
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/** The message for an unknown command word, or undefined when it names a command. */
export function unknownCommandMessage(word: string | undefined, commands: readonly string[]): string | undefined {
  if (word === undefined || commands.includes(word)) return undefined
  const near = commands.map((c) => ({ c, d: editDistance(word, c) })).sort((x, y) => x.d - y.d)[0]
  const hint = near && near.d <= Math.max(1, Math.ceil(word.length / 3)) ? ` Did you mean "${near.c}"?` : ''
  return `Unknown command "${word}".${hint} \`infernet --help\` lists the commands.`
}
