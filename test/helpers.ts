import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
/** The recorded QEMU fixtures. */
export const FIXTURES = join(ROOT, 'test', 'fixtures')

/** Every file below `dir` (recursively) whose name `keep` accepts, as full paths. */
export const filesUnder = (dir: string, keep: (name: string) => boolean): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name), keep) : keep(d.name) ? [join(dir, d.name)] : [],
  )

/**
 * `text` with each line changed as a paste might: line `i` by `edits[how[i % how.length] %
 * edits.length]` (so a property test picks the edits with an array of numbers).
 */
export const editLines = (
  text: string,
  how: ReadonlyArray<number>,
  edits: ReadonlyArray<(line: string) => string>,
): string =>
  text
    .split('\n')
    .map((l, i) => {
      const edit = edits[(how[i % how.length] ?? 0) % edits.length]
      return edit === undefined ? l : edit(l)
    })
    .join('\n')

/** One recorded scenario: its folder and the number of states. */
export interface Scenario {
  readonly recording: string // qemu-7.2 or qemu-7.2-kvm
  readonly name: string
  readonly dir: string
  readonly states: number
}

/** Every recorded scenario under test/fixtures. */
export const scenarios = (): ReadonlyArray<Scenario> =>
  readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((rec) =>
      readdirSync(join(FIXTURES, rec.name), { withFileTypes: true })
        .filter(
          (d) => d.isDirectory() && existsSync(join(FIXTURES, rec.name, d.name, 'scenario.json')),
        )
        .map((d) => {
          const dir = join(FIXTURES, rec.name, d.name)
          const meta = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as {
            states: unknown[]
          }
          return { recording: rec.name, name: d.name, dir, states: meta.states.length }
        }),
    )

/** The state prefix `NN`. */
export const stateId = (n: number): string => String(n).padStart(2, '0')

/** A fixture file's text. */
export const fixture = (s: Scenario, n: number, kind: string): string =>
  readFileSync(join(s.dir, `${stateId(n)}-${kind}`), 'utf8')

const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { import?: { default?: string } }>
}

/**
 * `code` with its `ramaddr` imports pointed at the built package: `ramaddr` and every
 * `ramaddr/<subpath>` of package.json's exports map, plus `ramaddr/internal/<path>` (a
 * convention of doc examples of modules no entry exports) to dist/<path>.js.
 */
export const resolveRamaddrImports = (code: string): string =>
  code.replace(/from 'ramaddr((?:\/[a-z0-9/-]+)?)'/g, (whole, sub: string) => {
    if (sub.startsWith('/internal/'))
      return `from '${pathToFileURL(join(ROOT, 'dist', sub.slice('/internal/'.length) + '.js')).href}'`
    const target = PACKAGE.exports['.' + sub]
    const file = typeof target === 'string' ? target : target?.import?.default
    if (file === undefined) throw new Error(`no entry ramaddr${sub} in package.json exports`)
    return `from '${pathToFileURL(join(ROOT, file)).href}'`
  })

/** A ```ts or ```js block of a Markdown file of the repository. */
export interface CodeBlock {
  /** The file, relative to the repository root (`docs/mirror.md`). */
  readonly file: string
  /** 1-based line of the opening fence. */
  readonly line: number
  readonly lang: 'ts' | 'js'
  readonly code: string
}

/** The ```ts and ```js blocks of a Markdown file (`file` relative to the repository root). */
export const codeBlocks = (file: string): ReadonlyArray<CodeBlock> => {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const out: CodeBlock[] = []
  const re = /^```(ts|js)\n([\s\S]*?)^```$/gm
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push({
      file,
      line: text.slice(0, m.index).split('\n').length,
      lang: m[1] === 'js' ? 'js' : 'ts',
      code: m[2] ?? '',
    })
  return out
}
