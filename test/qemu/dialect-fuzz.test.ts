// Text of every dialect, mangled: truncated, cut inside a line, lines swapped, junk
// spliced in, nested deep. The parsers and the CLI commands that read dumps never throw,
// and every error points inside the text. Runs of the access-flag (pre-2.10) dialect
// round-trip like the type-word one.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as mtree from '../../src/qemu/mtree.js'
import { TYPE_DIALECT } from '../../src/qemu/mtree-parse.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import * as infoRamblock from '../../src/qemu/info-ramblock.js'
import { run } from '../../src/cli/main.js'
import type { Io } from '../../src/cli/io.js'
import { machine } from '../../src/arbitraries/region-tree.js'
import { FIXTURES, fixture, scenarios } from '../helpers.js'

const q35 = scenarios().find((s) => s.recording === 'qemu-10.0' && s.name === 'q35-512m-vga-net')
if (q35 === undefined) throw new Error('fixture missing')
const samples = {
  'mtree -D (10.0)': fixture(q35, 3, 'mtree-D.txt'),
  'mtree (10.0)': fixture(q35, 3, 'mtree.txt'),
  'mtree, access flags (xtensa, before 2.10)': readFileSync(
    join(FIXTURES, 'public', 'ppci-xtensa-lx60-mtree-rw.txt'),
    'utf8',
  ),
  'mtree -f (10.0)': fixture(q35, 3, 'mtree-f.txt'),
  'ramblock, HVA and RO (10.0)': fixture(q35, 3, 'ramblock.txt'),
}
const parsers = [
  (t: string) => mtree.parseDump(t),
  (t: string) => mtreeFlat.parse(t),
  (t: string) => infoRamblock.parseDump(t),
]

/** An edit of a text: cut it, cut a line, swap two lines, splice junk into a line. */
const mangle = (text: string) =>
  fc.oneof(
    fc.nat(text.length).map((n) => text.slice(0, n)),
    fc
      .tuple(fc.nat(400), fc.nat(200), fc.string({ maxLength: 12, unit: 'binary' }))
      .map(([line, col, junk]) => {
        const lines = text.split('\n')
        const i = line % lines.length
        const l = lines[i] ?? ''
        lines[i] = l.slice(0, col) + junk + l.slice(col + junk.length)
        return lines.join('\n')
      }),
    fc.tuple(fc.nat(400), fc.nat(400)).map(([a, b]) => {
      const lines = text.split('\n')
      const i = a % lines.length
      const j = b % lines.length
      const t = lines[i] ?? ''
      lines[i] = lines[j] ?? ''
      lines[j] = t
      return lines.join('\n')
    }),
  )

describe('mangled dumps of every dialect never throw; errors point inside the text', () => {
  for (const [name, text] of Object.entries(samples))
    test.prop([mangle(text)], { numRuns: 300 })(name, (mangled) => {
      const lines = mangled.split('\n').length
      for (const parse of parsers) {
        const r = parse(mangled)
        if (E.isLeft(r)) {
          expect(r.left.line).toBeGreaterThanOrEqual(1)
          expect(r.left.line).toBeLessThanOrEqual(lines + 1)
          expect(r.left.column).toBeGreaterThanOrEqual(1)
          expect(r.left.message).not.toContain('\n')
        }
      }
    })
})

describe('the CLI on mangled dumps: exit 0 or 1, one line on stderr, never a throw', () => {
  test.prop([mangle(samples['mtree -D (10.0)']), mangle(samples['mtree -f (10.0)'])], {
    numRuns: 60,
  })('flatview --learn and translate', (tree, flat) => {
    const files: Record<string, string> = {
      tree,
      flat,
      ramblock: samples['ramblock, HVA and RO (10.0)'],
    }
    for (const argv of [
      ['flatview', '--mtree', 'tree', '--learn', 'flat'],
      ['flatview', '--mtree', 'tree', '--strict', '--json'],
      ['translate', '--mtree', 'tree', '--ramblock', 'ramblock', '0xfd000000', '0x100000'],
    ]) {
      let err = ''
      const io: Io = {
        readFile: (p) => E.fromNullable(`no ${p}`)(files[p]),
        stdout: () => undefined,
        stderr: (t) => {
          err += t
        },
      }
      const code = run(argv, io)
      expect([0, 1]).toContain(code)
      if (code === 1) expect(err.trimEnd().split('\n')).toHaveLength(1)
    }
  })
})

describe('the access-flag dialect round-trips random trees', () => {
  test.prop([machine], { numRuns: 300 })('print, parse, print', (m) => {
    const dialect = { ...TYPE_DIALECT, regionText: 'access' } as const
    const text = mtree.print({ disabled: true, dialect })(m.topology)
    const d = mtree.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message + '\n' + text)
    expect(d.right.dialect.regionText).toBe('access')
    expect(mtree.print({ disabled: true, dialect: d.right.dialect })(d.right.topology)).toBe(text)
  })
})

describe('deep nesting never throws', () => {
  test.prop([fc.integer({ min: 1, max: 6000 }), fc.boolean()], { numRuns: 10 })(
    'a chain of containers, optionally cut',
    (depth, cut) => {
      const lines = ['address-space: memory']
      for (let i = 0; i < depth; i++)
        lines.push(`${'  '.repeat(i + 1)}0000000000000000-0000000000000fff (prio 0, i/o): c${i}`)
      const text = lines.join('\n')
      const r = mtree.parseDump(cut ? text.slice(0, text.length - 7) : text)
      expect(E.isRight(r) || E.isLeft(r)).toBe(true)
    },
  )
})
