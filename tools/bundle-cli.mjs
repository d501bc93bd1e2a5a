#!/usr/bin/env node
// The CLI as one script with a V8 code cache, which bin/ramaddr runs.
//
// 1. esbuild bundles src/cli/entry.ts, minified, into dist/cli/ramaddr.cjs: a classic script
//    whose value is a function of `require` that returns the CLI's `main`. fp-ts and io-ts
//    are taken as their ES modules (fp-ts/es6, io-ts/es6), which avoids esbuild's CommonJS
//    interop for them. One file loads in about 1.5x `node -e 0` where the ~100 ES modules
//    of dist/ took 3x (module resolution and linking).
// 2. The script is compiled and run here on the recorded Q35 (every command a user starts
//    with, output discarded), then V8's code cache for it, which holds the bytecode of every
//    function those runs compiled, goes to dist/cli/ramaddr.v8cache. bin/ramaddr hands it to
//    `vm.Script`: parsing and compiling the bundle's functions is then skipped, and V8
//    checks the cache's version, flags and source and compiles as usual when it does not
//    match (another Node, `--some-v8-flag`). The cache is not packed (see package.json
//    `files`): it is only valid for the Node that made it, so it is made by `npm run build`
//    on the machine that runs it.
// Usage: node tools/bundle-cli.mjs (run by `npm run build`, after tsc).
import { build } from 'esbuild'
import { existsSync, writeFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Script } from 'node:vm'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const script = join(root, 'dist', 'cli', 'ramaddr.cjs')
const cache = join(root, 'dist', 'cli', 'ramaddr.v8cache')

/** `fp-ts/lib/X.js` and `io-ts` (CommonJS) resolved to their ES-module builds instead. */
const esModules = {
  name: 'es-modules',
  setup(b) {
    b.onResolve({ filter: /^(fp-ts|io-ts)(\/lib\/.*)?$/ }, (a) => {
      const m = /^(fp-ts|io-ts)(?:\/lib\/(.*))?$/.exec(a.path)
      return { path: require.resolve(`${m[1]}/es6/${m[2] ?? 'index.js'}`) }
    })
  },
}

const out = await build({
  entryPoints: [join(root, 'src', 'cli', 'entry.ts')],
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  plugins: [esModules],
  legalComments: 'inline',
  logLevel: 'warning',
})
// Not a parenthesised function: V8 compiles those eagerly, whole; this one compiles
// lazily, function by function, as a CommonJS module does. Strict, as the ES modules it
// was built from are.
const source =
  '// ramaddr CLI, bundled by tools/bundle-cli.mjs; run by bin/ramaddr\n' +
  'var ramaddrCli = function (require) {\n"use strict";\nvar module = { exports: {} }, exports = module.exports;\n' +
  out.outputFiles[0].text +
  '\nreturn module.exports.main\n}; ramaddrCli\n'
writeFileSync(script, source)
rmSync(cache, { force: true })

// Train: run the commands bin/ramaddr's users start with, so their functions are in the cache.
const compiled = new Script(source, { filename: script })
const main = compiled.runInThisContext()(createRequire(script))
const q35 = join(root, 'test', 'fixtures', 'qemu-7.2', 'q35-512m-vga-net')
if (existsSync(q35)) {
  const io = {
    ...(await import(join(root, 'dist', 'cli', 'io.js'))).nodeIo,
    stdout: () => {},
    stderr: () => {},
    stdoutBytes: () => {},
  }
  const tree = ['--mtree', join(q35, '08-mtree-D.txt')]
  const rb = ['--ramblock', join(q35, '08-ramblock.txt')]
  for (const argv of [
    ['ramblock', join(q35, '08-ramblock.txt')],
    ['ramblock', join(q35, '08-ramblock.txt'), '--json'],
    ['flatview', ...tree],
    ['flatview', ...tree, '--learn', join(q35, '08-mtree-f.txt')],
    ['translate', ...tree, ...rb, '0xfd000010', '0x1000'],
    ['gpas', ...tree, ...rb, '0x1000'],
    ['kvm-slots', ...tree, ...rb],
  ]) {
    const status = await main(argv, io)
    if (status !== 0) throw new Error(`bundle-cli: training run ${argv.join(' ')} exited ${status}`)
  }
}
writeFileSync(cache, compiled.createCachedData())
