#!/usr/bin/env node
// The CommonJS copy of the library for `require('ramaddr')`: compiles src/ with
// tsconfig.cjs.json into dist/cjs (JavaScript and .d.ts), after removing an earlier copy,
// then writes dist/cjs/package.json `{"type":"commonjs"}` so that Node and TypeScript read
// those files as CommonJS although the package itself is `"type": "module"`.
// Usage: node tools/build-cjs.mjs (run by `npm run build`, after the ESM build).
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'dist', 'cjs')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

rmSync(out, { recursive: true, force: true })
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.cjs.json')], {
  stdio: 'inherit',
})
if (r.status !== 0) {
  console.error('build-cjs: tsc -p tsconfig.cjs.json failed')
  process.exit(r.status ?? 1)
}
mkdirSync(out, { recursive: true })
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n')
