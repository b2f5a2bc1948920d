import assert from 'node:assert/strict'
import { test } from 'node:test'
import { jsonDepth, maxParamsDepth } from '../../src/protocol/jsonDepth.ts'

test('jsonDepth: levels of objects and arrays, measured without recursion and stopped past the limit', () => {
  assert.equal(jsonDepth(1), 0)
  assert.equal(jsonDepth(null), 0)
  assert.equal(jsonDepth({}), 1)
  assert.equal(jsonDepth({ a: [1, { b: 'x' }], c: {} }), 3)
  // 100,000 levels: a recursive walk (or JSON.stringify) would overflow the stack.
  const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
  assert.equal(jsonDepth(deep), 100_000)
  assert.equal(jsonDepth(deep, maxParamsDepth), maxParamsDepth + 1)
  assert.equal(jsonDepth(JSON.parse('{"a":'.repeat(maxParamsDepth - 1) + '{}' + '}'.repeat(maxParamsDepth - 1)), maxParamsDepth), maxParamsDepth)
})
