// The consumer suite (issue 14): the packed tarball installed into four small projects
// (test/consumers/*), as a user would get it. Needs the build (`npm run build` first;
// `npm test` does) and no network: fp-ts, io-ts, fast-check and @types/node are linked
// from this repository's node_modules.
//   esm        every ```ts / ```js block of README.md and docs/*.md runs as an .mjs file
//              importing `ramaddr` by package name
//   cjs        require() of every entry point loads the CommonJS build, and it computes
//   ts-strict  the same blocks, and an import of every entry point, type-check under a
//              strict consumer tsconfig (NodeNext, then Bundler resolution)
//   browser    the root entry bundled by esbuild for the browser, run in Chromium
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { ROOT, codeBlocks, type CodeBlock } from '../helpers.js'

const run = promisify(execFile)
const CONSUMERS = join(ROOT, 'test', 'consumers')
const Q35 = join(ROOT, 'test', 'fixtures', 'qemu-7.2', 'q35-512m-vga-net')
// the state `machines.Q35_MTREE_D` embeds: the BARs programmed
const Q35_MTREE_D = readFileSync(join(Q35, '08-mtree-D.txt'), 'utf8')
const Q35_RAMBLOCK = readFileSync(join(Q35, '08-ramblock.txt'), 'utf8')
const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium)
  console.warn(
    `test/package/consumers.test.ts: the Chromium run is skipped: ${CHROMIUM} is absent (apt-get install chromium)`,
  )

/** A child process's exit code and output (it does not throw on a non-zero exit). */
const exec = async (
  cmd: string,
  args: ReadonlyArray<string>,
  cwd: string,
): Promise<{ code: number; out: string }> => {
  try {
    const r = await run(cmd, [...args], { cwd, timeout: 120_000, maxBuffer: 32 * 1024 * 1024 })
    return { code: 0, out: `${r.stdout}${r.stderr}` }
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string; message?: string }
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      out: `${err.stdout ?? ''}${err.stderr ?? ''}` || (err.message ?? String(e)),
    }
  }
}

// ---- the README and guide blocks ----

type Block = CodeBlock

const markdown = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
]

const blocks: ReadonlyArray<Block> = markdown.flatMap(codeBlocks)

/** A file name for a block, e.g. `docs-mirror.md_13`: line k of it is line 13 + k. */
const blockName = (b: Block): string => `${b.file.replace(/\//g, '-')}_${b.line}`

/** The block's code, with Node's strict assert imported on its first line if it uses it. */
const withAssert = (code: string): string =>
  /\bassert\b/.test(code) && !/^\s*import\s+(\*\s+as\s+)?assert\b/m.test(code)
    ? `import assert from 'node:assert/strict'; ${code}`
    : code

// ---- the projects ----

/** Dependencies linked from this repository, per project. */
const LINKS: Readonly<Record<string, ReadonlyArray<string>>> = {
  esm: ['fp-ts', 'io-ts', 'fast-check'],
  cjs: ['fp-ts', 'io-ts', 'fast-check'],
  'ts-strict': ['fp-ts', 'io-ts', 'fast-check', '@types/node'],
  browser: ['fp-ts', 'io-ts'],
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string
  exports: Record<string, unknown>
}
const specifiers = Object.keys(pkg.exports)
  .filter((s) => s !== './package.json')
  .map((s) => (s === '.' ? pkg.name : `${pkg.name}/${s.slice(2)}`))

const TMP = mkdtempSync(join(tmpdir(), 'ramaddr-consumers-'))
const project = (name: string): string => join(TMP, name)
afterAll(() => rmSync(TMP, { recursive: true, force: true }))

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js')) || !existsSync(join(ROOT, 'dist', 'cjs')))
    throw new Error('consumers: no build in dist/: run `npm run build` first (`npm test` does)')
  const packed = await exec(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', TMP],
    ROOT,
  )
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.out}`)
  const report = JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{
    filename: string
  }>
  const tarball = join(TMP, report[0]?.filename ?? '')
  if (!existsSync(tarball)) throw new Error(`npm pack wrote no ${tarball}:\n${packed.out}`)
  await Promise.all(
    Object.entries(LINKS).map(async ([name, deps]) => {
      const dir = project(name)
      cpSync(join(CONSUMERS, name), dir, { recursive: true })
      const installed = join(dir, 'node_modules', pkg.name)
      mkdirSync(installed, { recursive: true })
      const x = await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1'], dir)
      if (x.code !== 0) throw new Error(`tar -xzf ${tarball} failed:\n${x.out}`)
      for (const d of deps) {
        mkdirSync(dirname(join(dir, 'node_modules', d)), { recursive: true })
        symlinkSync(join(ROOT, 'node_modules', d), join(dir, 'node_modules', d), 'dir')
      }
    }),
  )
  // the files the README's first example reads, in the projects that run it
  for (const name of ['esm', 'cjs']) {
    writeFileSync(join(project(name), 'mtree-D.txt'), Q35_MTREE_D)
    writeFileSync(join(project(name), 'ramblock.txt'), Q35_RAMBLOCK)
  }
  // the guides read recordings by their path in a checkout (test/fixtures/...)
  symlinkSync(join(ROOT, 'test'), join(project('esm'), 'test'), 'dir')
}, 120_000)

describe('consumer: ESM project runs the README and guide blocks', () => {
  it('there are blocks to run, from the README and the guides', () => {
    expect(blocks.some((b) => b.file === 'README.md')).toBe(true)
    expect(blocks.filter((b) => b.file.startsWith('docs/')).length).toBeGreaterThan(2)
  })

  for (const b of blocks)
    it.concurrent(`${b.file}:${b.line}`, async ({ expect }) => {
      const js =
        b.lang === 'ts'
          ? ts.transpileModule(b.code, {
              compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
            }).outputText
          : b.code
      const file = `${blockName(b)}.mjs`
      writeFileSync(join(project('esm'), file), withAssert(js))
      const r = await exec(process.execPath, [file], project('esm'))
      expect(r.code, `${b.file}:${b.line} failed (${file} in ${project('esm')}):\n${r.out}`).toBe(0)
    })
})

describe('consumer: CommonJS project', () => {
  it('require() loads every entry point from dist/cjs, and the README example computes', async () => {
    const r = await exec(process.execPath, ['check.cjs'], project('cjs'))
    expect(r.code, `node check.cjs failed:\n${r.out}`).toBe(0)
    const seen = JSON.parse(r.out) as { required: string[]; readme: string }
    expect(seen.required).toEqual(specifiers)
    expect(seen.readme).toBe('ok')
  })
})

describe('consumer: strict TypeScript project', () => {
  const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const tsBlocks = blocks.filter((x) => x.lang === 'ts')
  let written = false
  const writeSources = (): void => {
    if (written) return
    written = true
    const src = join(project('ts-strict'), 'src')
    mkdirSync(src, { recursive: true })
    for (const b of tsBlocks)
      writeFileSync(join(src, `${blockName(b)}.ts`), `${withAssert(b.code)}\nexport {}\n`)
    const names = specifiers.map((_, i) => `e${i}`).join(', ')
    const imports = specifiers.map((s, i) => `import * as e${i} from '${s}'`)
    writeFileSync(
      join(src, 'entries.ts'),
      `${imports.join('\n')}\nexport const entries = [${names}] as const\n`,
    )
    const requires = specifiers.map((s, i) => `import e${i} = require('${s}')`)
    writeFileSync(
      join(src, 'entries-require.cts'),
      `${requires.join('\n')}\nexport const entries = [${names}] as const\n`,
    )
  }

  /** One tsc run per tsconfig; its diagnostics by file (`src/x.ts`), and the whole output. */
  const runs = new Map<string, Promise<{ out: string; byFile: Map<string, string[]> }>>()
  const tsc = (config: string): Promise<{ out: string; byFile: Map<string, string[]> }> => {
    let r = runs.get(config)
    if (r === undefined) {
      writeSources()
      r = exec(
        process.execPath,
        [TSC, '-p', config, '--noEmit', '--pretty', 'false'],
        project('ts-strict'),
      ).then(({ code, out }) => {
        const byFile = new Map<string, string[]>()
        let current = ''
        for (const line of out.split('\n')) {
          const m = /^(\S[^(]*)\(\d+,\d+\): error /.exec(line)
          if (m) current = m[1] ?? ''
          else if (!/^\s/.test(line)) current = ''
          if (line.trim() !== '') byFile.set(current, [...(byFile.get(current) ?? []), line])
        }
        if (code !== 0 && byFile.size === 0) byFile.set('', [out || `tsc exited ${code}`])
        return { out, byFile }
      })
      runs.set(config, r)
    }
    return r
  }

  const CONFIGS = [
    ['tsconfig.nodenext.json', 'NodeNext'],
    ['tsconfig.bundler.json', 'Bundler'],
  ] as const
  for (const [config, what] of CONFIGS) {
    const blockFiles = new Set(tsBlocks.map((b) => `src/${blockName(b)}.ts`))
    it(`${what}: every entry point type-checks (import${what === 'NodeNext' ? ' and require()' : ''})`, async () => {
      const [{ byFile }] = await Promise.all([tsc(config), ...CONFIGS.map(([c]) => tsc(c))])
      const other = [...byFile].filter(([f]) => !blockFiles.has(f)).flatMap(([, ls]) => ls)
      expect(other, `tsc -p ${config} in ${project('ts-strict')}:\n${other.join('\n')}`).toEqual([])
    })
    for (const b of tsBlocks)
      it(`${what}: ${b.file}:${b.line} type-checks`, async () => {
        const file = `src/${blockName(b)}.ts`
        const errors = (await tsc(config)).byFile.get(file) ?? []
        expect(
          errors,
          `tsc -p ${config} in ${project('ts-strict')} (line k of ${file} is line ${b.line} + k of ${b.file}):\n${errors.join('\n')}`,
        ).toEqual([])
      })
  }
})

describe('consumer: browser bundle of the root entry', () => {
  let bundled: Promise<string> | undefined
  const bundle = (): Promise<string> => {
    bundled ??= (async () => {
      const dir = project('browser')
      writeFileSync(
        join(dir, 'q35.js'),
        `export const MTREE_D = ${JSON.stringify(Q35_MTREE_D)}\nexport const RAMBLOCK = ${JSON.stringify(Q35_RAMBLOCK)}\n`,
      )
      try {
        const r = await build({
          entryPoints: [join(dir, 'entry.js')],
          absWorkingDir: dir,
          bundle: true,
          platform: 'browser',
          format: 'esm',
          write: false,
          logLevel: 'silent',
        })
        const text = r.outputFiles[0]?.text
        if (text === undefined) throw new Error('esbuild produced no output')
        return text
      } catch (e) {
        throw new Error(
          `esbuild --bundle --platform=browser of \`import … from '${pkg.name}'\` failed:\n${String(e)}`,
          { cause: e },
        )
      }
    })()
    return bundled
  }

  it('bundles with esbuild for the browser, with no Node built-in in it', async () => {
    const text = await bundle()
    expect(text.length).toBeGreaterThan(1000)
    const nodeImports = text.match(/["'`]node:[a-z_/]+["'`]/g) ?? []
    expect(nodeImports, 'node: specifiers in the bundle').toEqual([])
    const requires = builtinModules.filter(
      (m) => text.includes(`require("${m}")`) || text.includes(`require('${m}')`),
    )
    expect(requires, 'require() of Node built-ins in the bundle').toEqual([])
  })

  it.skipIf(!haveChromium)("runs the README's first example in headless Chromium", async () => {
    const text = await bundle()
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    })
    try {
      const page = await browser.newPage()
      const errors: string[] = []
      page.on('pageerror', (e) => errors.push(String(e)))
      await page.setContent('<!doctype html><title>ramaddr</title>')
      await page.addScriptTag({ content: text, type: 'module' })
      await page
        .waitForFunction('globalThis.result !== undefined', undefined, { timeout: 30_000 })
        .catch((e: unknown) => {
          throw new Error(
            `no result from the page: ${String(e)}\npage errors: ${errors.join('\n')}`,
            { cause: e },
          )
        })
      const result = (await page.evaluate('globalThis.result')) as {
        steps: string[]
        error?: string
      }
      expect(errors).toEqual([])
      expect(result.error).toBeUndefined()
      expect(result.steps).toEqual([
        'mtree Right',
        'ramblock Right',
        'map Right',
        'translate Ram 20080010',
        'gpas e0000,fffe0000',
        'fromDumps Right tcg',
      ])
    } finally {
      await browser.close()
    }
  })
})
