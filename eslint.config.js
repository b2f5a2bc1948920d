import js from '@eslint/js'
import tseslint from 'typescript-eslint'

// Import boundaries (README, "Parts"). Three kinds of code:
// - the core: src/ except src/coordinator/ and src/app/; it imports nothing outside the core;
// - the parts: relay/, node/, client/, src/coordinator/; each imports only the core, and the coordinator
//   alone may also import client/ (its gateway is a client of the network);
// - the composition roots: src/app/ (the `infernet` entry, `infernet up`) and bin/; they may import every part.
// Tests, benchmarks and scripts may import anything; no source file imports them.
// Specifiers are relative, so a target is named by the folder reached after the leading ./ and ../ steps.
// No other folder of modules in the source tree carries one of these names (test/lint/boundaries.test.ts).
const folders = {
  'relay/': 'relay',
  'node/': 'node',
  'client/': 'client',
  'src/coordinator/': '(src\\/)?coordinator',
  'src/app/': '(src\\/)?app',
  'test/': 'test',
  'bench/': 'bench',
  'scripts/': 'scripts',
}
const core = 'the core (src/ except src/coordinator/ and src/app/)'

/** One file group: `no-restricted-imports` for static imports and re-exports, `no-restricted-syntax` for import(). */
function boundary(name, files, forbidden, rule, ignores = []) {
  const regex = (folder) => `^(\\.\\/|(\\.\\.\\/)+)${folders[folder]}\\/`
  const message = (folder) => `${name} may not import ${folder}: ${rule} (README, "Parts").`
  return {
    name: `infernet/boundaries/${name}`,
    files,
    ignores,
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidden.map((f) => ({ regex: regex(f), message: message(f) })) }],
      'no-restricted-syntax': ['error', ...forbidden.map((f) => ({ selector: `ImportExpression > Literal[value=/${regex(f)}/]`, message: message(f) }))],
    },
  }
}
const sources = (folder) => [`${folder}**/*.ts`, `${folder}**/*.js`]
const others = (...allowed) => Object.keys(folders).filter((f) => !allowed.includes(f))

const boundaries = [
  boundary('the core', sources('src/'), others(), `${core} imports nothing outside the core`, [...sources('src/coordinator/'), ...sources('src/app/')]),
  boundary('relay/', sources('relay/'), others('relay/'), `a part imports only ${core}`),
  boundary('node/', sources('node/'), others('node/'), `a part imports only ${core}`),
  boundary('client/', sources('client/'), others('client/'), `a part imports only ${core}`),
  boundary('src/coordinator/', sources('src/coordinator/'), others('src/coordinator/', 'client/'), `a part imports only ${core}; the coordinator may also import client/`),
]

export default tseslint.config(
  { ignores: ['node_modules/**', 'src/contracts/artifacts/**', '.data/**', 'coverage/**', 'packages/*/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly',
        clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly',
        fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', WebSocket: 'readonly',
        queueMicrotask: 'readonly', structuredClone: 'readonly', performance: 'readonly', crypto: 'readonly',
        setImmediate: 'readonly', ReadableStream: 'readonly', EventTarget: 'readonly', Event: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  ...boundaries,
)
