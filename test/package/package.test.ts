// The published package: what `npm pack` would ship, and that both module systems load
// the built package through its own `exports` map and see the same API. Runs against
// the build (`npm run build` first; `npm test` does).
import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../helpers.js'

/** Every entry of package.json's exports map, as a consumer names it. */
const SUBPATHS: ReadonlyArray<string> = Object.keys(
  (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>
    }
  ).exports,
)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? 'ramaddr' : 'ramaddr' + k.slice(1)))

interface PackEntry {
  readonly path: string
}

const packed = (): ReadonlyArray<string> => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const [report] = JSON.parse(out) as Array<{ files: PackEntry[] }>
  return (report?.files ?? []).map((f) => f.path)
}

describe('npm pack contents', () => {
  const files = packed()

  it('ships only the builds, the bin script, the README and guide, CHANGELOG, LICENSE and package.json', () => {
    const allowed = (p: string): boolean =>
      /^dist\/.+\.(js|d\.ts)$/.test(p) ||
      p === 'dist/cjs/package.json' ||
      p === 'dist/cli/ramaddr.cjs' ||
      p === 'bin/ramaddr' ||
      p === 'package.json' ||
      p === 'README.md' ||
      p === 'CHANGELOG.md' ||
      /^docs\/[A-Za-z-]+\.md$/.test(p) ||
      /^LICEN[CS]E(\.md|\.txt)?$/.test(p)
    expect(files.filter((p) => !allowed(p))).toEqual([])
  })

  it('has no tests, fixtures, sources, source maps or generated API docs', () => {
    expect(files.filter((p) => /^(test|src|docs\/api|bench|tools|\.ci)\//.test(p))).toEqual([])
    expect(files.filter((p) => p.includes('fixtures') || p.endsWith('.map'))).toEqual([])
  })

  it('has both entry points in both module systems, with types, and the bin script', () => {
    for (const p of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/ramaddr',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/arbitraries/index.js',
      'dist/arbitraries/index.d.ts',
      'dist/cjs/package.json',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/arbitraries/index.js',
      'dist/cjs/arbitraries/index.d.ts',
      'dist/cli/bin.js',
      'docs/README.md',
    ])
      expect(files).toContain(p)
  })

  it('every subpath of the exports map has its ESM and CommonJS files with types', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, Record<string, string>>>
    }
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue
      for (const cond of ['import', 'require'])
        for (const key of ['types', 'default'])
          expect(files, `${sub} ${cond}.${key}`).toContain(
            (target[cond]?.[key] ?? '').replace(/^\.\//, ''),
          )
    }
  })

  it('every ESM module has its CommonJS twin (except the ESM-only bin entry)', () => {
    const esm = files.filter((p) => /^dist\/(?!cjs\/).+\.js$/.test(p) && p !== 'dist/cli/bin.js')
    const cjs = new Set(files.filter((p) => p.startsWith('dist/cjs/')))
    expect(esm.length).toBeGreaterThan(50)
    expect(esm.filter((p) => !cjs.has(p.replace(/^dist\//, 'dist/cjs/')))).toEqual([])
  })
})

describe('require and import of the built package', () => {
  // A consumer's project: node_modules/ramaddr is the repository itself, so resolution
  // goes through package.json `exports` exactly as for an installed copy.
  const dir = mkdtempSync(join(tmpdir(), 'ramaddr-consumer-'))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'ramaddr'), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  // Every export name, and for namespace objects their member names, one level down.
  const shape = `(m) => Object.keys(m).sort().map((k) => {
    const v = m[k]
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? k + ':{' + Object.keys(v).sort().join(',') + '}'
      : k + ':' + typeof v
  })`

  const runNode = (args: ReadonlyArray<string>): unknown =>
    JSON.parse(execFileSync(process.execPath, [...args], { cwd: dir, encoding: 'utf8' }))

  const viaRequire = (spec: string): { file: string; shape: string[] } =>
    runNode([
      '-e',
      `const shape = ${shape}
       const m = require(${JSON.stringify(spec)})
       process.stdout.write(JSON.stringify({ file: require.resolve(${JSON.stringify(spec)}), shape: shape(m) }))`,
    ]) as { file: string; shape: string[] }

  const viaImport = (spec: string): { file: string; shape: string[] } =>
    runNode([
      '--input-type=module',
      '-e',
      `const shape = ${shape}
       const m = await import(${JSON.stringify(spec)})
       process.stdout.write(JSON.stringify({ file: import.meta.resolve(${JSON.stringify(spec)}), shape: shape(m) }))`,
    ]) as { file: string; shape: string[] }

  it.each(SUBPATHS)(
    '%s: require() gets the CommonJS build, import() the ESM build, same API',
    (spec) => {
      const c = viaRequire(spec)
      const e = viaImport(spec)
      expect(c.file).toMatch(/\/dist\/cjs\/([a-z]+\/)?index\.js$/)
      expect(e.file).toMatch(/\/dist\/([a-z]+\/)?index\.js$/)
      expect(e.file).not.toMatch(/\/cjs\//)
      expect(c.shape.length).toBeGreaterThan(0)
      expect(c.shape).toEqual(e.shape)
    },
  )

  it('the root exposes the library namespaces in both module systems', () => {
    const names = viaRequire('ramaddr').shape.map((s) => s.split(':')[0])
    for (const n of [
      'translate',
      'flatview',
      'machines',
      'errors',
      'ramblock',
      'mtree',
      'Gpa',
      'RamAddr',
    ])
      expect(names).toContain(n)
    // Node-only and optional parts live behind their own subpaths
    for (const n of ['cli', 'qmp', 'xen', 'draw', 'mirror', 'kvm']) expect(names).not.toContain(n)
  })

  it('the CommonJS build computes what the ESM build computes', () => {
    const probe = `const t = m.mtree.parse('address-space: memory\\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\\n\\n')
      const l = m.infoRamblock.parse('              Block Name    PSize              Offset               Used              Total\\n                  pc.ram    4 KiB  0x0000000000080000 0x0000000008000000 0x0000000008000000\\n')
      const map = m.translate.make({ topology: t.right, ramList: l.right })
      const x = m.translate.translationOfGpa(m.Gpa.unsafe(0x1234n))(map.right)
      process.stdout.write(JSON.stringify([t._tag, l._tag, map._tag, x._tag, x.ramAddr.toString(16)]))`
    const c = runNode(['-e', `const m = require('ramaddr')\n${probe}`])
    const e = runNode(['--input-type=module', '-e', `const m = await import('ramaddr')\n${probe}`])
    expect(c).toEqual(['Right', 'Right', 'Right', 'Ram', '81234'])
    expect(e).toEqual(c)
  })

  it('the CommonJS copy is marked CommonJS for Node and TypeScript', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'dist', 'cjs', 'package.json'), 'utf8')) as {
      type?: string
    }
    expect(pkg.type).toBe('commonjs')
  })
})
