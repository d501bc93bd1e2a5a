import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as mtree from '../../src/qemu/mtree.js'
import { TYPE_DIALECT } from '../../src/qemu/mtree-parse.js'
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
    containers: new Set(),
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
    expect(errorAt('hello\nworld\n')).toEqual([1, 1])
    expect(errorAt('hello\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n')).toBe('ok')
    expect(errorAt('address-space: memory\n\n')).toEqual([2, 1])
    expect(
      errorAt('address-space: memory\n  0000000000000000-ffffffff (prio 0, i/o): system\n'),
    ).toEqual([2, 28])
    expect(
      errorAt(
        'address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    0000000000000000-0000000000000fff (prio 0, RW): old\n',
      ),
    ).toEqual([3, 39])
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

describe('partial dumps parse, and say what they could not tell', () => {
  const memoryOnly = [
    'address-space: memory',
    '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
    '    0000000000000000-0000000007ffffff (prio 0, ram): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff',
    '    00000000000e0000-00000000000fffff (prio 1, rom): alias isa-bios @pc.bios 0000000000020000-000000000003ffff',
    '    00000000fffc0000-00000000ffffffff (prio 0, rom): alias pc.bios @pc.bios 0000000000000000-000000000003ffff',
    '',
  ].join('\r\n')
  it('an alias target printed nowhere becomes an opaque region of the printed type', () => {
    const d = mtree.parseDump(memoryOnly)
    if (E.isLeft(d)) throw new Error(d.left.message)
    const t = d.right.topology
    const ram = [...t.regions.values()].filter((r) => r.name === 'pc.ram')
    expect(ram.map((r) => [r.kind, r.readonly, r.size, r.opaque])).toEqual([
      ['ram', false, 0x8000000n, true],
    ])
    // one opaque pc.bios for two aliases, as large as the furthest window, read-only (rom)
    const bios = [...t.regions.values()].filter((r) => r.name === 'pc.bios' && r.kind !== 'alias')
    expect(bios.map((r) => [r.kind, r.readonly, r.size])).toEqual([['ram', true, 0x40000n]])
    expect(d.right.assumptions.filter((a) => a._tag === 'OpaqueTarget').map((a) => a.line)).toEqual(
      [3, 4],
    )
    // prints back byte for byte: no memory-region sections are invented
    expect(mtree.print()(t)).toBe(memoryOnly + '\r\n')
  })
  it('an alias named like its target targets the other region, not itself', () => {
    const text = [
      'address-space: memory',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    0000000080000000-000000008000ffff (prio 0, i/o): alias pci-io @pci-io 0000000000000000-000000000000ffff',
      '',
      'address-space: pci-io-space',
      '  0000000000000000-000000000000ffff (prio 0, i/o): pci-io',
      '    0000000000000060-0000000000000060 (prio 0, i/o): i8042-data',
      '',
    ].join('\n')
    const d = mtree.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message)
    const t = d.right.topology
    const alias = [...t.regions.values()].find((r) => r.kind === 'alias')
    const target = alias?.aliasTarget === undefined ? undefined : t.regions.get(alias.aliasTarget)
    expect([target?.name, target?.kind, target?.subregions.length]).toEqual([
      'pci-io',
      'container',
      1,
    ])
  })
  it('region lines with no header are address space memory', () => {
    const d = mtree.parseDump(memoryOnly.split('\r\n').slice(1).join('\n'))
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.topology.addressSpaces.map((a) => a.name)).toEqual(['memory'])
    expect(d.right.assumptions[0]?._tag).toBe('ImplicitAddressSpace')
  })
  it('monitor prompts and blank lines around a paste are skipped', () => {
    const d = mtree.parseDump('(qemu) info mtree\n\n' + memoryOnly + '\n(qemu) \n')
    expect(E.isRight(d)).toBe(true)
  })
  it('memory-region sections alone parse', () => {
    const d = mtree.parseDump(
      'memory-region: pc.ram\n  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n\n',
    )
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.topology.addressSpaces).toEqual([])
    expect(d.right.topology.regions.size).toBe(1)
  })
})

describe('the access-flag dialect of QEMU before 2.10', () => {
  // the same machine as in memoryOnly, as an old QEMU printed it: access flags, root at
  // level 1, aliases with their own flags (isa-bios made read-only: R-)
  const old = [
    'address-space: memory',
    '  0000000000000000-ffffffffffffffff (prio 0, RW): system',
    '    0000000000000000-0000000007ffffff (prio 0, RW): alias ram-below-4g @pc.ram 0000000000000000-0000000007ffffff',
    '    00000000000e0000-00000000000fffff (prio 1, R-): alias isa-bios @pc.bios 0000000000020000-000000000003ffff',
    '    00000000fec00000-00000000fec00fff (prio 0, RW): ioapic',
    '',
    'memory-region: pc.ram',
    '  0000000000000000-0000000007ffffff (prio 0, RW): pc.ram',
    '',
    'memory-region: pc.bios',
    '  0000000000000000-000000000003ffff (prio 0, R-): pc.bios',
    '',
    '',
  ].join('\n')
  it('parses, reads R- as read-only, and prints back byte for byte in its dialect', () => {
    const d = mtree.parseDump(old)
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.dialect).toEqual({ ...TYPE_DIALECT, regionText: 'access', grouped: false })
    const t = d.right.topology
    const byName = (n: string) => [...t.regions.values()].find((r) => r.name === n)
    expect([
      byName('isa-bios')?.readonly,
      byName('pc.bios')?.kind,
      byName('pc.bios')?.readonly,
    ]).toEqual([true, 'ram', true])
    // RAM and I/O print alike: a childless RW line is a guess
    expect(
      d.right.assumptions
        .filter((a) => a._tag === 'GuessedKind')
        .map((a) => (a._tag === 'GuessedKind' ? [a.name, a.kind] : [])),
    ).toEqual([
      ['system', 'container'],
      ['ioapic', 'io'],
      ['pc.ram', 'io'],
    ])
    expect(mtree.print({ eol: '\n', dialect: d.right.dialect })(t)).toBe(old)
  })
  it('8-digit addresses (32-bit targets) print back with 8 digits', () => {
    const text =
      'address-space: memory\n  00000000-ffffffff (prio 0, RW): system\n    00000000-07ffffff (prio 0, RW): ram\n\n'
    const d = mtree.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.dialect.digits).toBe(8)
    expect(mtree.print({ eol: '\n', dialect: d.right.dialect })(d.right.topology)).toBe(text)
  })
})

describe('no depth of nesting makes the parser throw', () => {
  const deep = (depth: number): string => {
    const lines = ['address-space: memory']
    for (let i = 0; i < depth; i++)
      lines.push(`${'  '.repeat(i + 1)}0000000000000000-0000000000000fff (prio 0, i/o): c${i}`)
    return lines.join('\n') + '\n\n'
  }
  it('parses, prints and renders a tree 6,000 deep', () => {
    const text = deep(6000)
    const d = mtree.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.topology.regions.size).toBe(6000)
    expect(mtree.print({ eol: '\n' })(d.right.topology)).toBe(text)
    const lines = mtreeFlat
      .renderedLinesByAddressSpace()(d.right.topology)
      .get('AS "memory", root: c0')
    expect(lines).toEqual(['0000000000000000-0000000000000fff (prio 0, i/o): c5999'])
  })
  it('a memory-region section 5,000 deep, printed twice, is unified without recursion', () => {
    const tree = deep(5000).split('\n').slice(1, -2)
    const text = [
      'address-space: memory',
      '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
      '    0000000000000000-0000000000000fff (prio 0, i/o): alias a @c0 0000000000000000-0000000000000fff',
      '',
      'address-space: other',
      ...tree,
      '',
      'memory-region: c0',
      ...tree,
      '',
    ].join('\n')
    const d = mtree.parseDump(text)
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect(d.right.topology.regions.size).toBe(5002)
  })
})

describe('pasted dumps a mail client or a writer touched', () => {
  const wrapped = [
    'address-space: memory',
    '  0000000000000000-ffffffffffffffff (prio 0, i/o): system',
    '    0000000002000000-000000000200ffff (prio 0, rom): alias',
    'exynos4210.irom_alias @exynos4210.irom 0000000000000000-000000000000ffff',
    '    00000000fe000000-00000000fe7fffff (prio 0, romd): alias pflash-alias',
    '@musicpal.flash 0000000000000000-00000000007fffff',
    'The next address is unaligned.',
    '',
    'FlatView #0',
    ' AS "memory", root: system',
    ' Root memory region: system',
    '  0000000002000000-000000000200ffff (prio 0, rom): exynos4210.irom',
    '',
  ].join('\n')
  it('rejoins wrapped alias lines, ends a tree at a sentence, skips a pasted -f', () => {
    const d = mtree.parseDump(wrapped)
    if (E.isLeft(d)) throw new Error(d.left.message)
    const aliases = [...d.right.topology.regions.values()].filter((r) => r.kind === 'alias')
    expect(aliases.map((a) => a.name)).toEqual(['exynos4210.irom_alias', 'pflash-alias'])
    expect(d.right.assumptions.filter((a) => a._tag === 'Rejoined').map((a) => a.line)).toEqual([
      3, 5,
    ])
  })
  it('a region line that parses is never joined with a sentence under it', () => {
    const d = mtree.parseDump(
      'address-space: memory\n  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n    0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\nAs you can see, RAM starts at 0.\n',
    )
    if (E.isLeft(d)) throw new Error(d.left.message)
    expect([...d.right.topology.regions.values()].map((r) => r.name)).toEqual(['system', 'pc.ram'])
  })
})
