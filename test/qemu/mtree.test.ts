import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import * as mtree from '../../src/qemu/mtree.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import type { RegionKnowledge } from '../../src/qemu/knowledge.js'
import { machine, type Machine } from '../../src/arbitraries/region-tree.js'
import { fixture, scenarios } from '../helpers.js'

const all = scenarios()

describe('info mtree round-trips every recording byte for byte', () => {
  for (const s of all)
    for (let n = 0; n < s.states; n++)
      for (const kind of ['mtree.txt', 'mtree-D.txt'])
        it(`${s.recording}/${s.name} ${String(n).padStart(2, '0')}-${kind}`, () => {
          const text = fixture(s, n, kind)
          const t = mtree.parse(text)
          if (E.isLeft(t)) throw new Error(t.left.message)
          expect(mtree.print({ disabled: kind === 'mtree-D.txt' })(t.right)).toBe(text)
        })
})

const knowledgeOf = (m: Machine): RegionKnowledge => {
  const rs = [...m.topology.regions.values()]
  return {
    terminatingIo: new Set(
      rs.filter((r) => r.kind === 'io' && r.subregions.length > 0).map((r) => r.name),
    ),
    readonlyAliases: new Set(rs.filter((r) => r.kind === 'alias' && r.readonly).map((r) => r.name)),
    zeroSize: new Set(),
    vgaLogging: new Set(),
  }
}

describe('info mtree of random trees (properties)', () => {
  test.prop([machine], { numRuns: 1000 })(
    'print -D, parse, print again gives the same text and the same flat view',
    (m) => {
      const text = mtree.print({ disabled: true })(m.topology)
      const parsed = mtree.parse(text, { knowledge: knowledgeOf(m) })
      if (E.isLeft(parsed)) throw new Error(parsed.left.message + '\n' + text)
      expect(mtree.print({ disabled: true })(parsed.right)).toBe(text)
      // The text cannot say (1) that a childless i/o line is an empty container, nor (2)
      // which of two overlapping equal-priority siblings at different addresses was added
      // last; trees with neither keep their flat view.
      const regions = [...m.topology.regions.values()]
      const emptyContainer = regions.some(
        (r) => r.kind === 'container' && r.subregions.length === 0,
      )
      const orderUnknown = regions.some((p) => {
        const kids = p.subregions
          .map((id) => m.topology.regions.get(id))
          .filter((c) => c !== undefined && c.enabled)
        return kids.some((a, i) =>
          kids.some(
            (b, j) =>
              j > i &&
              a !== undefined &&
              b !== undefined &&
              a.priority === b.priority &&
              a.addr !== b.addr &&
              a.addr < b.addr + b.size &&
              b.addr < a.addr + a.size,
          ),
        )
      })
      if (!emptyContainer && !orderUnknown)
        expect(mtreeFlat.renderedLinesByAddressSpace()(parsed.right)).toEqual(
          mtreeFlat.renderedLinesByAddressSpace()(m.topology),
        )
    },
  )
})

describe('malformed info mtree', () => {
  const good = fixture(all[0] ?? (undefined as never), 0, 'mtree-D.txt')
  const lines = good.split('\r\n')
  const errorAt = (text: string) => {
    const r = mtree.parse(text)
    return E.isLeft(r) ? [r.left.line, r.left.column] : 'ok'
  }
  it('says where and what was expected', () => {
    expect(
      errorAt('address-space: memory\n 0000000000000000-ffffffffffffffff (prio 0, i/o): system\n'),
    ).toEqual([2, 2])
    expect(
      errorAt('address-space: memory\n  000000000000000g-ffffffffffffffff (prio 0, i/o): system\n'),
    ).toEqual([2, 3])
    expect(
      errorAt('address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, foo): system\n'),
    ).toEqual([2, 46])
    expect(errorAt('  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n')).toEqual([1, 1])
    expect(errorAt('address-space: memory\n\n')).toEqual([2, 1])
    expect(
      errorAt(
        'address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): alias x @nowhere 0000000000000000-ffffffffffffffff\n\n',
      ),
    ).toEqual([2, 61])
    const r = mtree.parse(
      'address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n  0000000000000000-ffffffffffffffff (prio 0, i/o): second\n',
    )
    expect(E.isLeft(r) && r.left.message).toBe(
      'line 3, column 1: expected one root region per section (a deeper indentation), found "  0000000000000000-fffff…"',
    )
  })
  it('refuses an alias cycle instead of rendering forever', () => {
    const text = [
      'address-space: memory',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    0000000000000000-0000000000000fff (prio 0, i/o): alias loop @system 0000000000000000-0000000000000fff',
      '',
      'memory-region: system',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    0000000000000000-0000000000000fff (prio 0, i/o): alias loop @system 0000000000000000-0000000000000fff',
      '',
    ].join('\n')
    const r = mtree.parse(text)
    expect(E.isLeft(r) && r.left.message).toMatch(/line 3, .*loop loops/)
  })
  test.prop([fc.string({ unit: 'binary', maxLength: 600 })], { numRuns: 1000 })(
    'random text never throws',
    (s) => {
      expect(() => mtree.parse(s)).not.toThrow()
      expect(() => mtree.parse('address-space: memory\n' + s)).not.toThrow()
      expect(() => mtreeFlat.parse(s)).not.toThrow()
    },
  )
  test.prop([fc.nat(lines.length - 1), fc.nat(120), fc.string({ maxLength: 8 })], {
    numRuns: 1000,
  })('mangled recordings never throw and errors point inside the text', (i, cut, junk) => {
    const mangled = [...lines]
    const l = mangled[i] ?? ''
    mangled[i] = l.slice(0, cut) + junk + l.slice(cut + junk.length)
    const r = mtree.parse(mangled.join('\r\n'))
    if (E.isLeft(r)) {
      expect(r.left.line >= 1 && r.left.line <= lines.length + 1).toBe(true)
      expect(r.left.column >= 1).toBe(true)
    }
  })
})
