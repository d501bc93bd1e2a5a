// Every `@example` block in the sources is run against the built package, with Node's
// strict assert in scope: a broken example fails the suite.
import { describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, filesUnder, resolveRamaddrImports } from './helpers.js'

const SRC = join(ROOT, 'src')
const OUT = join(ROOT, 'node_modules', '.ramaddr-examples')

const sources = (dir: string): string[] => filesUnder(dir, (n) => n.endsWith('.ts'))

/** The @example blocks of a file: the comment lines after `@example` up to the next tag or the end. */
const examples = (file: string): Array<{ line: number; code: string }> => {
  const lines = readFileSync(file, 'utf8').split('\n')
  const out: Array<{ line: number; code: string }> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example\s*$/.test(lines[i] ?? '')) continue
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const l = lines[j] ?? ''
      if (/^\s*\*\//.test(l) || /^\s*\*\s*@\w+/.test(l)) break
      body.push(l.replace(/^\s*\* ?/, ''))
    }
    out.push({ line: i + 1, code: body.join('\n') })
    i = j
  }
  return out
}

const all = sources(SRC).flatMap((f) => examples(f).map((e) => ({ file: relative(ROOT, f), ...e })))
mkdirSync(OUT, { recursive: true })

describe('doc-comment examples run', () => {
  it('there are examples to run', () => {
    expect(all.length).toBeGreaterThan(20)
  })
  for (const [n, ex] of all.entries()) {
    it(`${ex.file}:${ex.line}`, async () => {
      const code = resolveRamaddrImports(ex.code)
      const path = join(OUT, `example-${n}.mjs`)
      writeFileSync(path, `import assert from 'node:assert/strict'\n${code}\n`)
      await import(pathToFileURL(path).href + `?t=${Date.now()}`)
    })
  }
})
