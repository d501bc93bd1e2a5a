// A CommonJS consumer: require() of every entry point in the installed package's
// `exports` must load the CommonJS build, and a few functions must work through it.
// Usage (from this folder, with ramaddr, fp-ts and io-ts in node_modules):
//   node check.cjs   prints one JSON line of what it checked; exits non-zero on failure
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict'
const assert = require('node:assert/strict')
const { readFileSync } = require('node:fs')
const { either } = require('fp-ts')

const pkg = require('ramaddr/package.json')
const checked = []
for (const sub of Object.keys(pkg.exports)) {
  if (sub === './package.json') continue
  const spec = sub === '.' ? 'ramaddr' : `ramaddr/${sub.slice(2)}`
  const file = require.resolve(spec)
  assert.match(
    file,
    /[/\\]dist[/\\]cjs[/\\]/,
    `${spec} resolved to ${file}, not the CommonJS build`,
  )
  const m = require(spec)
  assert.equal(typeof m, 'object', `require('${spec}') gave ${typeof m}`)
  assert.ok(Object.keys(m).length > 0, `require('${spec}') has no exports`)
  checked.push(spec)
}

// the address kinds
const { Gpa } = require('ramaddr')
assert.deepEqual(Gpa.make(0xfffc0000n), either.right(0xfffc0000n))
assert.ok(either.isLeft(Gpa.make(1n << 64n)))

// the README's first example, on the recorded Q35 machine beside this file
const { mtree, infoRamblock, translate } = require('ramaddr')
const tree = mtree.parse(readFileSync('mtree-D.txt', 'utf8'))
const blocks = infoRamblock.parse(readFileSync('ramblock.txt', 'utf8'))
assert.ok(either.isRight(tree) && either.isRight(blocks))
const map = translate.make({ topology: tree.right, ramList: blocks.right })
assert.ok(either.isRight(map))
const x = translate.translationOfGpa(Gpa.unsafe(0xfd000010n))(map.right)
assert.equal(x._tag, 'Ram')
assert.equal(x.ramAddr, 0x20080010n)
const { RamAddr } = require('ramaddr')
assert.deepEqual(translate.gpasOfRamAddr(RamAddr.unsafe(0x20020000n))(map.right), [
  0xe0000n,
  0xfffe0000n,
])

process.stdout.write(JSON.stringify({ required: checked, readme: 'ok' }) + '\n')
