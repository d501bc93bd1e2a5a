// Every dialect QEMU 2.0 to 10.2 printed, as constructed from its format strings
// (test/fixtures/constructed, README there): each parses, says the dialect it is, and
// prints back byte for byte in it (with \n and with HMP's \r\n), -o owner suffixes aside.
import { describe, expect, it } from 'vitest'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as mtree from '../../src/qemu/mtree.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import * as infoRamblock from '../../src/qemu/info-ramblock.js'
import { FIXTURES } from '../helpers.js'

const DIR = join(FIXTURES, 'constructed')
const read = (f: string) => readFileSync(join(DIR, f), 'utf8')
const files = readdirSync(DIR).filter((f) => f.endsWith('.constructed.txt'))

/** The dialect each release range prints, from docs/dumps.md's table. */
const expected: Record<string, Partial<mtree.MtreeDialect>> = {
  'mtree-plain_v2.0-v2.3': { headers: 'bare', regionText: 'access', grouped: false },
  'mtree-plain_v2.4-v2.8': { headers: 'prefixed', regionText: 'access', grouped: false },
  'mtree-plain_v2.9-v3.0': { regionText: 'type', aliasType: 'own', grouped: false },
  'mtree-plain_v3.1-v4.2': { regionText: 'type', aliasType: 'own', grouped: false },
  'mtree-plain_v5.0': { regionText: 'type', aliasType: 'target', grouped: false },
  'mtree-plain_v5.1-v6.2': { regionText: 'type', aliasType: 'target', grouped: false },
  'mtree-D_v5.1-v6.2': { regionText: 'type', aliasType: 'target', grouped: false },
  'mtree-plain_v7.0-v10.2': { regionText: 'type', aliasType: 'target', grouped: true },
  'mtree-D_v7.0-v10.2': { regionText: 'type', aliasType: 'target', grouped: true },
  'mtree-edgecases_v5.1-v10.2': { regionText: 'type' },
}

describe('info mtree of every release', () => {
  for (const f of files.filter((x) => /^mtree-(plain|D|edgecases)/.test(x))) {
    const name = f.replace('.constructed.txt', '')
    it(`${name}: parses as its dialect and prints back byte for byte`, () => {
      const text = read(f)
      for (const t of [text, text.replace(/\n/g, '\r\n')]) {
        const d = mtree.parseDump(t)
        if (E.isLeft(d)) throw new Error(d.left.message)
        expect(d.right.dialect).toMatchObject(expected[name] ?? {})
        // before 5.1, and with -D, disabled regions print, marked
        const disabled = name.startsWith('mtree-D') || /v2\.[4-9]|v3|v4|v5\.0/.test(name)
        // known gap: the overflow marker of a hidden (disabled) region, which QEMU glues to
        // the next printed line, is not reproduced (the hidden region is not in the text)
        const want = name.startsWith('mtree-edgecases')
          ? t.replace('[DETECTED OVERFLOW!]     0000000030000000', '    0000000030000000')
          : t
        expect(
          mtree.print({ disabled, dialect: d.right.dialect, eol: t === text ? '\n' : '\r\n' })(
            d.right.topology,
          ),
        ).toBe(want)
      }
    })
  }
  it('mtree-o: owner suffixes are read past, names kept', () => {
    const d = mtree.parseDump(read('mtree-o_v7.0-v10.2.constructed.txt'))
    if (E.isLeft(d)) throw new Error(d.left.message)
    const names = [...d.right.topology.regions.values()].map((r) => r.name)
    expect(names).toContain('pci-conf-idx')
    expect(names.some((n) => n.includes('owner:') || n.includes('parent:'))).toBe(false)
  })
})

describe('info mtree -f of every release', () => {
  for (const f of files.filter((x) => x.startsWith('mtree-f')))
    it(`${f.replace('.constructed.txt', '')}: parses, every range named, markers read`, () => {
      const blocks = mtreeFlat.parse(read(f))
      if (E.isLeft(blocks)) throw new Error(blocks.left.message)
      expect(blocks.right.length).toBeGreaterThan(0)
      const ranges = blocks.right.flatMap((b) => b.ranges)
      expect(ranges.every((r) => r.region.length > 0 && !r.region.includes(' '))).toBe(true)
      if (/v4\.1|v5\.0-v10/.test(f)) expect(ranges.some((r) => r.markers.length > 0)).toBe(true)
    })
})

describe('info ramblock of every release', () => {
  for (const [f, dialect] of [
    ['ramblock_v2.10-v7.2.constructed.txt', 'classic'],
    ['ramblock_v8.0-v10.2.constructed.txt', 'hva-ro'],
  ] as const)
    it(`${f}: ${dialect}, byte for byte`, () => {
      const text = read(f)
      const d = infoRamblock.parseDump(text)
      if (E.isLeft(d)) throw new Error(d.left.message)
      expect(d.right.dialect).toBe(dialect)
      expect(infoRamblock.format({ dialect, eol: '\n' })(d.right.list)).toBe(text)
    })
})
