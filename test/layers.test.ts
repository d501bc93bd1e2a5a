// DESIGN.md's rule: data flows down the layers and nothing imports from a later one.
import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { ROOT, filesUnder } from './helpers.js'

/** Each folder of src/ and its layer (DESIGN.md "Layers"; adapters, CLI and demo last). */
const LAYER: Readonly<Record<string, number>> = {
  addresses: 1,
  ramblock: 2,
  region: 3,
  flatview: 4,
  translate: 5,
  bitmap: 6,
  dirty: 6,
  kvm: 6,
  migration: 6,
  confidential: 7,
  mirror: 7,
  xen: 8,
  qemu: 9,
  draw: 9,
  machines: 9,
  node: 9,
  cli: 10,
  demo: 11,
  arbitraries: 11,
}

const SRC = join(ROOT, 'src')
const files = (dir: string): string[] => filesUnder(dir, (n) => n.endsWith('.ts'))

describe('layers', () => {
  it('every folder of src/ has a layer', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
    expect(folders.filter((f) => LAYER[f] === undefined)).toEqual([])
  })
  it('no module imports from a later layer', () => {
    const bad: string[] = []
    for (const f of files(SRC)) {
      const rel = relative(SRC, f).split('/')
      if (rel.length < 2) continue
      const own = LAYER[rel[0] as string] as number
      for (const m of readFileSync(f, 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)) {
        const other = LAYER[m[1] as string]
        if (other !== undefined && other > own) bad.push(`${relative(ROOT, f)} imports ${m[1]}`)
      }
    }
    expect(bad).toEqual([])
  })
})
