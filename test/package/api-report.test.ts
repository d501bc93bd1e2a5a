// The public API is a checked artifact (issue 14): api/*.api.md, written by
// tools/api-report.mjs, must match the sources; the root entry stays small, categorised
// and free of Node built-ins (it must bundle for a browser).
import { beforeAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { ROOT } from '../helpers.js'

const run = promisify(execFile)
const TOOL = join(ROOT, 'tools', 'api-report.mjs')
const MAX_ROOT_NAMES = 250

interface EntryModel {
  readonly subpath: string
  readonly specifier: string
  readonly source: string
  readonly file: string
  readonly names: ReadonlyArray<string>
  readonly lines: ReadonlyArray<string>
  readonly categories?: Readonly<Record<string, string | null>>
}

const tool = async (...args: string[]): Promise<{ code: number; out: string }> => {
  try {
    const r = await run(process.execPath, [TOOL, ...args], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    })
    return { code: 0, out: r.stdout }
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof err.code !== 'number') throw e
    return { code: err.code, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }
  }
}

let problems: ReadonlyArray<string>
let entries: ReadonlyArray<EntryModel>

beforeAll(async () => {
  const j = await tool('--json')
  if (j.code !== 0) throw new Error(`node tools/api-report.mjs --json failed:\n${j.out}`)
  const report = JSON.parse(j.out) as { entries: EntryModel[]; problems: string[] }
  entries = report.entries
  problems = report.problems
}, 120_000)

const rootEntry = (): EntryModel => {
  const e = entries.find((x) => x.subpath === '.')
  if (e === undefined) throw new Error('package.json exports has no "." entry')
  return e
}

describe('API report (api/*.api.md)', () => {
  it('api/ matches the public API of every entry point', () => {
    if (problems.length > 0)
      expect.fail(
        `${problems.join('\n\n')}\n\nThe public API differs from api/: run \`node tools/api-report.mjs\` and commit api/ if the change is meant.`,
      )
  })

  it(`the root entry has at most ${MAX_ROOT_NAMES} names (namespace members included)`, () => {
    const { names } = rootEntry()
    const top = new Map<string, number>()
    for (const n of names) {
      const head = n.split('.')[0] ?? n
      top.set(head, (top.get(head) ?? 0) + 1)
    }
    const biggest = [...top]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([n, c]) => `${n}: ${c}`)
      .join(', ')
    expect(
      names.length,
      `the root entry exports ${names.length} names (> ${MAX_ROOT_NAMES}); largest: ${biggest}`,
    ).toBeLessThanOrEqual(MAX_ROOT_NAMES)
  })

  it('every top-level export of the root entry has a TypeDoc @category', () => {
    const categories = rootEntry().categories ?? {}
    const missing = Object.entries(categories)
      .filter(([, c]) => c === null)
      .map(([n]) => n)
      .sort()
    expect(Object.keys(categories).length).toBeGreaterThan(0)
    expect(missing, `top-level root exports without @category: ${missing.join(', ')}`).toEqual([])
  })
})

/** One import of a module: its specifier, and whether it survives compilation. */
interface Import {
  readonly specifier: string
  readonly runtime: boolean
}

/** The module specifiers a file loads at run time (`import type` / `export type` erased). */
const importsOf = (file: string): ReadonlyArray<Import> => {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const out: Import[] = []
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true
        : node.isTypeOnly
      out.push({ specifier: node.moduleSpecifier.text, runtime: !typeOnly })
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      out.push({ specifier: node.moduleReference.expression.text, runtime: !node.isTypeOnly })
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push({ specifier: node.arguments[0].text, runtime: true })
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

/** The .ts source a relative specifier (`./x.js`, `./dir`) names. */
const resolveRelative = (from: string, specifier: string): string | undefined => {
  const base = resolve(dirname(from), specifier)
  const candidates = [
    base.replace(/\.(m|c)?js$/, '.$1ts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ]
  return candidates.find((c) => c.endsWith('ts') && existsSync(c))
}

describe('the root entry is free of Node built-ins', () => {
  it('no module reachable from the root entry imports a node: module (or a bare built-in)', () => {
    const start = join(ROOT, rootEntry().source)
    const rel = (f: string): string => relative(ROOT, f)
    // breadth-first over run-time relative imports, remembering how each file was reached
    const via = new Map<string, string | null>([[start, null]])
    const queue = [start]
    const offences: string[] = []
    const chain = (f: string): string => {
      const path: string[] = []
      for (let at: string | null | undefined = f; at; at = via.get(at)) path.unshift(rel(at))
      return path.join(' → ')
    }
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const imp of importsOf(file)) {
        if (!imp.runtime) continue
        if (imp.specifier.startsWith('node:') || builtinModules.includes(imp.specifier))
          offences.push(`${chain(file)} imports '${imp.specifier}'`)
        else if (imp.specifier.startsWith('.')) {
          const target = resolveRelative(file, imp.specifier)
          if (target === undefined) {
            offences.push(`${chain(file)} imports '${imp.specifier}', which has no .ts source`)
            continue
          }
          if (!via.has(target)) {
            via.set(target, file)
            queue.push(target)
          }
        }
      }
    }
    expect(via.size).toBeGreaterThan(1)
    expect(offences, `node: imports reachable from ${rel(start)}:\n${offences.join('\n')}`).toEqual(
      [],
    )
  })
})
