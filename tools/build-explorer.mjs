#!/usr/bin/env node
// The address-map explorer (issue 18) as a static page of the docs site: bundles
// explorer/src/dom/main.ts (the page's code and the library's browser entries it imports,
// from source) with esbuild into docs/explorer/explorer.js, a classic script (module scripts
// do not load from file:// URLs), and copies explorer/index.html beside it. The page opens
// from a file:// URL with no server. Run by `npm run docs`; docs/explorer/ is generated
// (.gitignore), docs/explorer.png is the committed screenshot (tools/explorer-screenshot.mjs).
// Usage: node tools/build-explorer.mjs [--out DIR] [--no-minify]
import { build } from 'esbuild'
import { copyFileSync, mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const at = process.argv.indexOf('--out')
const out =
  at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : join(root, 'docs', 'explorer')

/** `fp-ts/lib/X.js` and `io-ts` (CommonJS) resolved to their ES-module builds, as bundle-cli.mjs does. */
const esModules = {
  name: 'es-modules',
  setup(b) {
    b.onResolve({ filter: /^(fp-ts|io-ts)(\/lib\/.*)?$/ }, (a) => {
      const m = /^(fp-ts|io-ts)(?:\/lib\/(.*))?$/.exec(a.path)
      return { path: require.resolve(`${m[1]}/es6/${m[2] ?? 'index.js'}`) }
    })
  },
}

mkdirSync(out, { recursive: true })
await build({
  entryPoints: [join(root, 'explorer', 'src', 'dom', 'main.ts')],
  outfile: join(out, 'explorer.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome100',
  minify: !process.argv.includes('--no-minify'),
  plugins: [esModules],
  legalComments: 'none',
  logLevel: 'warning',
})
copyFileSync(join(root, 'explorer', 'index.html'), join(out, 'index.html'))
console.log(`explorer: ${join(out, 'index.html')}`)
