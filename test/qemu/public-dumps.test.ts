// Dumps people pasted in public (bug reports, mailing lists, blogs, repositories), kept
// verbatim in test/fixtures/public with their sources in MANIFEST.json. Each well-formed
// one parses; each one damaged in the paste (lines wrapped by a mail client, a dump
// inside an escaped string, columns cut away, a pre-2.10 flat-view format) is refused
// with a line and column inside the text. None throws.
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as E from 'fp-ts/lib/Either.js'
import * as mtree from '../../src/qemu/mtree.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import * as infoRamblock from '../../src/qemu/info-ramblock.js'
import type { TextError } from '../../src/addresses/text-error.js'
import { FIXTURES } from '../helpers.js'

const DIR = join(FIXTURES, 'public')
interface Entry {
  readonly file: string
  readonly kind: string
  readonly qemuVersion: string | null
  readonly target: string | null
}
const manifest = JSON.parse(readFileSync(join(DIR, 'MANIFEST.json'), 'utf8')) as Entry[]

/**
 * Damaged in the paste (escaped, cut, rows wrapped), or two dumps in one paste with no
 * header to tell them apart. (Alias lines a mail client wrapped are rejoined.)
 */
const DAMAGED = new Set([
  'ebiroll-stm32l1-rak811-mtree-8digit.txt', // a fork mixing 8- and 16-digit addresses on one line
  'qemu-commit-8a64609e-aarch64-kvm-mtree-f-elided.txt', // ranges with no FlatView header
  'qemu-devel-2019-05-ppc64-spapr-nvdimm-mtree-nbsp.txt', // two states in one paste, the second headerless
  'qemu-devel-2021-03-arm-musicpal-mtree-wrapped-and-f.txt', // two states (before/after), headerless
  'qemu-devel-2022-12-ramblock-hva-before-after-columns-cut.txt', // columns cut away
  'qemu-devel-2023-01-aarch64-ramblock-64k-4k-wrapped.txt', // rows wrapped
  'memflow-qemu-x86-q35-vfio-kvm-mtree-f-escaped.txt', // inside a string with \" escapes
])

const parse = (kind: string, text: string): E.Either<TextError, unknown> =>
  kind === 'ramblock'
    ? infoRamblock.parseDump(text)
    : kind === 'mtree-f'
      ? mtreeFlat.parse(text)
      : mtree.parseDump(text)

describe('public dumps', () => {
  it('the manifest lists every file and covers old and new QEMU, several targets', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(25)
    expect(
      new Set(manifest.map((e) => (e.target ?? '').split(' ')[0])).size,
    ).toBeGreaterThanOrEqual(6)
  })
  for (const e of manifest)
    it(`${e.file} (${e.kind}, QEMU ${e.qemuVersion ?? '?'}, ${e.target}) ${DAMAGED.has(e.file) ? 'is refused at a line inside it' : 'parses'}`, () => {
      const text = readFileSync(join(DIR, e.file), 'utf8')
      const r = parse(e.kind, text)
      if (DAMAGED.has(e.file)) {
        expect(E.isLeft(r)).toBe(true)
        if (E.isLeft(r)) {
          expect(r.left.line).toBeGreaterThanOrEqual(1)
          expect(r.left.line).toBeLessThanOrEqual(text.split('\n').length + 1)
        }
      } else {
        expect(E.isLeft(r) ? r.left.message : 'parsed').toBe('parsed')
      }
    })
  it('an info mtree -f -d whose mail client indented every line one space more (format=flowed) reads as printed', () => {
    const text = readFileSync(
      join(DIR, 'qemu-devel-2020-02-arm-sx1-mtree-f-d-dispatch.txt'),
      'utf8',
    )
    const v = mtreeFlat.parse(text)
    if (E.isLeft(v)) throw new Error(v.left.message)
    expect(v.right.map((b) => b.addressSpaces.map((a) => a.name))).toEqual([
      ['memory', 'cpu-memory-0'],
    ])
    expect(v.right[0]?.ranges.map((r) => [r.start, r.region, r.type])).toEqual([
      [0x0n, 'omap_sx1.flash0-1', 'romd'],
      [0x2000000n, 'sx1.cs0', 'i/o'],
      [0x4000000n, 'sx1.cs1', 'i/o'],
      [0x8000000n, 'sx1.cs3', 'i/o'],
      [0x10000000n, 'omap1.dram', 'ram'],
      [0x20000000n, 'omap1.sram', 'ram'],
    ])
  })
  it('an info ramblock with HVA and RO columns from a bug report keeps its host addresses', () => {
    const text = readFileSync(join(DIR, 'qemu-devel-2024-06-peterx-x86-ramblock-hva.txt'), 'utf8')
    const d = infoRamblock.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.dialect).toBe('hva-ro')
    expect(d.right.list.blocks.every((b) => b.host._tag === 'Some')).toBe(true)
  })
})
