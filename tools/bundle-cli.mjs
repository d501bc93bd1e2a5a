#!/usr/bin/env node
// The CLI as one file: bundles src/cli/bin.ts with esbuild into dist/cli/ramaddr.mjs, which
// bin/ramaddr runs. One file starts in about 1.5x `node -e 0` where the ~100 ESM modules of
// dist/ took 3x (module resolution and linking, and esbuild's CommonJS interop for fp-ts and
// io-ts, which this bundle avoids by taking their ES modules, fp-ts/es6 and io-ts/es6).
// Usage: node tools/bundle-cli.mjs (run by `npm run build`, after tsc).
import { build } from 'esbuild'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))

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

await build({
  entryPoints: [join(root, 'src', 'cli', 'bin.ts')],
  outfile: join(root, 'dist', 'cli', 'ramaddr.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [esModules],
  legalComments: 'inline',
  logLevel: 'warning',
})
