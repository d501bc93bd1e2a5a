// Every ```ts / ```js block in docs/ runs against the built package, with Node's strict
// assert in scope: a broken guide fails the suite.
import { describe, expect, it } from 'vitest'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'
import { ROOT, codeBlocks, resolveRamaddrImports } from './helpers.js'

const DOCS = join(ROOT, 'docs')
const OUT = join(ROOT, 'node_modules', '.ramaddr-docs')

const blocks = readdirSync(DOCS)
  .filter((f) => f.endsWith('.md'))
  .flatMap((f) => codeBlocks(`docs/${f}`))
mkdirSync(OUT, { recursive: true })

describe('docs code blocks run', () => {
  it('there are blocks to run', () => {
    expect(blocks.length).toBeGreaterThan(2)
  })
  for (const [n, b] of blocks.entries())
    it(`${b.file}:${b.line}`, async () => {
      const js = ts.transpileModule(resolveRamaddrImports(b.code), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText
      const path = join(OUT, `block-${n}.mjs`)
      writeFileSync(path, `import assert from 'node:assert/strict'\n${js}\n`)
      await import(pathToFileURL(path).href + `?t=${Date.now()}`)
    })
})
