// The explorer's pure parts (explorer/src/*.ts) without a browser: sorting pasted text into
// dumps, errors placed at their line and column, what a partial dump could not tell, the
// focus panel, search and BAR-move answers on recorded machines, and the zoom/pan window.
// Expected values come from the recordings (the README's recorded Q35, QEMU 10.0's
// gpa2hva probes, the next recorded state, the KVM recording's slot trace) or from a
// brute-force model, never from the code under test.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { machines } from '../../src/index.js'
import {
  NO_DUMPS,
  classify,
  fromJson,
  sortTexts,
  type DumpTexts,
} from '../../explorer/src/dumps.js'
import {
  blockInfo,
  gpaBoxAt,
  gpaInfo,
  lastAtOrBelow,
  load,
  moveRegion,
  movables,
  pictureOf,
  rangeText,
  search,
  sizeText,
  type Loaded,
  type Picture,
} from '../../explorer/src/model.js'
import {
  MAX_ZOOM,
  MIN_ZOOM,
  PAD_TOP,
  clampZoom,
  linesThatFit,
  scrollAfterZoom,
  visible,
  yAt,
} from '../../explorer/src/viewport.js'
import { FIXTURES } from '../helpers.js'

const Q35_10 = join(FIXTURES, 'qemu-10.0', 'q35-512m-vga-net')
const text = (n: string, kind: string): string =>
  readFileSync(join(Q35_10, `${n}-${kind}.txt`), 'utf8')
const dumps10 = (n: string): DumpTexts => ({
  mtree: text(n, 'mtree-D'),
  flat: text(n, 'mtree-f'),
  ramblock: text(n, 'ramblock'),
})

const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e)) throw new Error(JSON.stringify(e.left))
  return e.right
}
const loaded = (d: DumpTexts): Loaded => right(load(d))
const picture = (l: Loaded, as = 'memory'): Picture =>
  right(pictureOf(l.machine.topology, l.ramList, as, undefined, l.ramKnown))

describe('explorer: dumps in', () => {
  it('sorts each recorded dump into its box by the lines it starts with', () => {
    const d = dumps10('08')
    expect(classify(d.mtree)).toBe('mtree')
    expect(classify(d.flat)).toBe('flat')
    expect(classify(d.ramblock)).toBe('ramblock')
    expect(classify('\uFEFF  {"mtreeD": ""}')).toBe('json')
    // a paste of a few region lines (no header) is the tree parser's to read
    expect(classify('    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem\n')).toBe(
      'mtree',
    )
    const sorted = right(sortTexts([d.ramblock, d.flat, d.mtree])(NO_DUMPS))
    expect(sorted).toEqual(d)
  })

  it('reads a ramaddr qmp export (LiveDump fields) and the fromDumps shape', () => {
    const d = dumps10('08')
    const live = JSON.stringify({ mtreeD: d.mtree, mtreeF: d.flat, ramblock: d.ramblock })
    expect(right(fromJson(live))).toEqual(d)
    expect(right(fromJson(JSON.stringify({ mtree: d.mtree })))).toEqual({
      ...NO_DUMPS,
      mtree: d.mtree,
    })
    const bad = fromJson('{"mtreeD": 3}')
    expect(E.isLeft(bad) && bad.left.message).toMatch(/mtreeD: expected string \(got 3\)/)
    expect(E.isLeft(fromJson('{"mtreeD": '))).toBe(true)
  })

  it.each([
    ['{\n "a": }', 2, 7], // the } where a value belongs
    ['{"mtreeD": ', 1, 12], // ends too soon: at the end
    ['[1, 2,, 3]', 1, 7], // the second comma
    ['{"mtreeD": "x"}\n\n  x', 3, 3], // text after the value
    ['\ufeff{\n "a": }', 2, 7], // a byte-order mark is not a column
  ])('a JSON syntax error in %j is placed at line %i, column %i', (text, line, column) => {
    const r = fromJson(text)
    expect(E.isLeft(r) && r.left).toMatchObject({ line, column })
    expect(E.isLeft(r) && r.left.message).toMatch(
      new RegExp(`^JSON export: line ${line}, column ${column}: `),
    )
  })

  it('a parse error names its box, line and column (the place a broken priority is)', () => {
    const lines = text('08', 'mtree-D').split('\n')
    lines[2] = (lines[2] ?? '').replace('(prio 0, i/o)', '(prio x, i/o)')
    const r = load({ mtree: lines.join('\n'), flat: '', ramblock: '' })
    expect(E.isLeft(r) && r.left).toMatchObject({ dump: 'mtree', line: 3, column: 43 })
    const rb = text('08', 'ramblock').split('\n')
    rb[2] = (rb[2] ?? '').replace('0x0000000020080000', '0x00000000200800zz')
    const r2 = load({ ...dumps10('08'), ramblock: rb.join('\n') })
    expect(E.isLeft(r2) && r2.left).toMatchObject({ dump: 'ramblock', line: 3 })
    const r3 = load({ ...NO_DUMPS })
    expect(E.isLeft(r3) && r3.left.dump).toBe('mtree')
  })

  it('a flat view of another state is refused in the -f box, at its line', () => {
    const r = load({ ...dumps10('08'), flat: text('09', 'mtree-f') })
    expect(E.isLeft(r) && r.left.dump).toBe('flat')
    expect(E.isLeft(r) && typeof r.left.line).toBe('number')
  })
})

describe('explorer: what a partial dump could not tell', () => {
  it('all three dumps: nothing', () => {
    expect(loaded(dumps10('08')).notes).toEqual([])
  })
  it('the tree alone: no -f (with every assumption, by line) and no ram_addr_t', () => {
    const l = loaded({ ...NO_DUMPS, mtree: text('08', 'mtree-D') })
    expect(l.ramKnown).toBe(false)
    expect(l.notes[0]).toMatch(/^No info mtree -f/)
    expect(l.notes.some((n) => /^info mtree, line \d+: /.test(n))).toBe(true)
    expect(l.notes[l.notes.length - 1]).toMatch(/^No info ramblock/)
    const p = picture(l)
    expect(p.layout.blocks).toEqual([])
    const i = gpaBoxAt(p, 0x100000n)
    const info = gpaInfo(p, i)
    expect(O.isSome(info) && info.value.fields.find((f) => f.key === 'ram_addr')?.value).toMatch(
      /^unknown/,
    )
    expect(E.isLeft(search('ram', '0x0')(p))).toBe(true)
  })
  it('a QEMU 7.2 ramblock has no HVA column: HVAs unknown', () => {
    const l = loaded({ ...machines.Q35 })
    expect(l.notes).toEqual([
      'info ramblock has no HVA column (QEMU before 8.0 prints none): host addresses are unknown.',
    ])
  })
})

describe('explorer: panel and search on recorded machines', () => {
  it('the README figures on the shipped Q35 (QEMU 7.2 recording)', () => {
    const p = picture(loaded({ ...machines.Q35 }))
    const fb = right(search('gpa', '0xfd000010')(p))
    expect(fb.lines[0]).toContain('→ ram_addr_t 0x20080010 (0000:00:02.0/vga.vram+0x10)')
    const bios = right(search('ram', '0x20020000')(p))
    expect(bios.lines).toEqual([
      'ram_addr_t 0x20020000 (pc.bios+0x20000) is mapped at 2 GPA(s):',
      'GPA 0xe0000',
      'GPA 0xfffe0000',
    ])
    expect(bios.gpaBoxes.map((i) => p.layout.gpa[i]?.item.name)).toEqual(['pc.bios', 'pc.bios'])
    expect(bios.blockBoxes.map((i) => p.layout.blocks[i]?.item.idstr)).toEqual(['pc.bios'])
    expect(E.isLeft(search('gpa', 'fd000000')(p))).toBe(true) // no 0x
  })

  it("QEMU 10.0: each probed GPA's panel HVA is the one gpa2hva recorded, its ram_addr_t the recorded block's", () => {
    const p = picture(loaded(dumps10('08')))
    const probes = JSON.parse(readFileSync(join(Q35_10, '08-probes.json'), 'utf8')) as Array<{
      gpa: string
      region: string
      hva: string
    }>
    expect(probes.length).toBeGreaterThan(10)
    // 08-ramblock.txt's rows: name, page size, offset, used, total, HVA, RO
    const recordedBlocks = text('08', 'ramblock')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 8)
      .map((f) => ({
        offset: BigInt(f[3] ?? 'x'),
        used: BigInt(f[4] ?? 'x'),
        hva: BigInt(f[6] ?? 'x'),
      }))
    expect(recordedBlocks.length).toBe(9)
    for (const probe of probes) {
      const gpa = BigInt(probe.gpa)
      const i = gpaBoxAt(p, gpa)
      const box = p.layout.gpa[i]?.item
      const info = gpaInfo(p, i)
      if (box === undefined || O.isNone(info)) throw new Error(`no box for ${probe.gpa}`)
      const field = (k: string): string | undefined =>
        info.value.fields.find((f) => f.key === k)?.value
      expect(field('region')).toMatch(new RegExp(`^${probe.region.replace('.', '\\.')} `))
      const hvaStart = BigInt((field('hva') ?? '').split('-')[0] ?? 'x')
      expect(hvaStart + (gpa - box.start)).toBe(BigInt(probe.hva))
      // and its ram_addr_t: the recorded block whose host range holds the recorded HVA
      const hva = BigInt(probe.hva)
      const block = recordedBlocks.find((b) => b.hva <= hva && hva < b.hva + b.used)
      if (block === undefined) throw new Error(`no recorded block holds ${probe.hva}`)
      const ramStart = BigInt(field('ram_addr') ?? 'x')
      expect(ramStart + (gpa - box.start)).toBe(block.offset + (hva - block.hva))
    }
  })

  it("a RAMBlock's panel lists every GPA range that maps it (pc.bios: twice)", () => {
    const p = picture(loaded(dumps10('08')))
    const i = p.layout.blocks.findIndex((b) => b.item.idstr === 'pc.bios')
    const info = blockInfo(p, i)
    expect(O.isSome(info) && info.value.others).toEqual([
      // the region gpa2hva names there (08-probes.json: 0xe0000 is pc.bios, through isa-bios)
      'GPA 0xe0000-0xfffff → ram_addr_t 0x20020000-0x2003ffff (pc.bios)',
      'GPA 0xfffc0000-0xffffffff → ram_addr_t 0x20000000-0x2003ffff (pc.bios)',
    ])
    // and the isa-bios range's panel names the other place
    const isa = gpaInfo(p, gpaBoxAt(p, 0xe0000n))
    expect(O.isSome(isa) && isa.value.others).toEqual([
      'GPA 0xfffe0000-0xffffffff → ram_addr_t 0x20020000-0x2003ffff (pc.bios)',
    ])
  })
})

describe('explorer: moving a BAR', () => {
  const l = loaded(dumps10('08'))
  const vram = movables(l.machine.topology, 'memory').find((m) => m.label.startsWith('vga.vram '))
  it('vga.vram is offered, RAM-backed regions first', () => {
    expect(vram?.label).toBe('vga.vram @ 0xfd000000 (16 MiB ram)')
    const ms = movables(l.machine.topology, 'memory')
    const firstIo = ms.findIndex((m) => !m.ram)
    expect(ms.slice(firstIo).every((m) => !m.ram)).toBe(true)
  })

  it('the diff is the recorded next state; the slot calls are the KVM recording of the same write', () => {
    if (vram === undefined) throw new Error('vga.vram not offered')
    const r = right(moveRegion(vram.id, '0xe0000000')(l.machine.topology, l.ramList, 'memory'))
    // state 09 of the recording is this write: the view the move gives is QEMU's
    const next = loaded(dumps10('09'))
    const moved = right(pictureOf(r.topology, l.ramList, 'memory'))
    const recorded = picture(next)
    expect(moved.map.view.ranges.map((x) => [x.start, x.end])).toEqual(
      recorded.map.view.ranges.map((x) => [x.start, x.end]),
    )
    expect(r.diff).toEqual([
      'appeared 0xe0000000-0xe0ffffff: nothing → vga.vram',
      'disappeared 0xfd000000-0xfdffffff: vga.vram → nothing',
    ])
    const kvmRec = JSON.parse(
      readFileSync(join(FIXTURES, 'qemu-7.2-kvm', 'q35-512m-vga-net', 'scenario.json'), 'utf8'),
    ) as { states: Array<{ kvm_slot_ops: string[] }> }
    const want = (kvmRec.states[9]?.kvm_slot_ops ?? []).map((op) => {
      const m = /flags=(0x[0-9a-f]+) gpa=(0x[0-9a-f]+) size=(0x[0-9a-f]+)/.exec(op)
      return [Number(m?.[1]), BigInt(m?.[2] ?? 'x'), BigInt(m?.[3] ?? 'x')]
    })
    expect(r.slots.map((s) => [s.flags, s.gpa, s.size])).toEqual(want)
    expect(r.slots.map((s) => s.cause)).toEqual(['del', 'add'])
    expect(r.ramAddr).toEqual({ before: 0x20080000n, after: 0x20080000n }) // 08-ramblock.txt
    expect(r.stayed).toMatch(/^vga\.vram keeps ram_addr_t 0x20080000 /)
  })

  it('bad input is an answer, not a throw', () => {
    const t = l.machine.topology
    expect(E.isLeft(moveRegion(vram?.id ?? 0, 'e0000000')(t, l.ramList, 'memory'))).toBe(true)
    expect(E.isLeft(moveRegion(99999, '0x0')(t, l.ramList, 'memory'))).toBe(true)
  })

  it('an I/O region has no ram_addr_t to keep', () => {
    const hpet = movables(l.machine.topology, 'memory').find((m) => m.label.startsWith('hpet '))
    const r = right(
      moveRegion(hpet?.id ?? 0, '0xfed10000')(l.machine.topology, l.ramList, 'memory'),
    )
    expect(r.ramAddr).toBeUndefined()
    expect(r.slots).toEqual([])
    expect(r.stayed).toBe('hpet has no RAMBlock: there is no ram_addr_t to keep.')
  })
})

describe('explorer: small helpers against brute force', () => {
  test.prop([fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })])('sizeText reads back', (n) => {
    const [v, u] = sizeText(n).split(' ')
    const shift = { B: 0n, KiB: 10n, MiB: 20n, GiB: 30n, TiB: 40n, PiB: 50n, EiB: 60n }[u ?? 'B']
    expect(BigInt(v ?? 'x') << (shift ?? 0n)).toBe(n)
  })
  it('rangeText prints the last byte inclusive, as QEMU does', () => {
    expect(rangeText(0xa0000n, 0xc0000n)).toBe('0xa0000-0xbffff')
  })
  test.prop([
    fc.uniqueArray(fc.bigInt({ min: 0n, max: 1000n })),
    fc.bigInt({ min: -5n, max: 1005n }),
  ])('lastAtOrBelow is the last index of a sorted array at or below x', (xs, x) => {
    const sorted = [...xs].sort((a, b) => (a < b ? -1 : 1))
    let want = -1
    sorted.forEach((v, i) => {
      if (v <= x) want = i
    })
    expect(lastAtOrBelow(sorted, x)).toBe(want)
  })
})

describe('explorer: zoom and pan', () => {
  const frame = fc.record({
    top: fc.integer({ min: 0, max: 500 }),
    zoom: fc.double({ min: MIN_ZOOM, max: MAX_ZOOM, noNaN: true }),
  })
  test.prop([
    frame,
    fc.double({ min: MIN_ZOOM, max: MAX_ZOOM, noNaN: true }),
    fc.integer({ min: 0, max: 100_000 }),
    fc.integer({ min: 0, max: 900 }),
  ])('a zoom keeps the content under the anchor in place', (f, z, scroll, anchor) => {
    const layoutY = (scroll + anchor - PAD_TOP) / f.zoom + f.top
    const top = scrollAfterZoom(f, z, scroll, anchor)
    const drawn = yAt({ top: f.top, zoom: z })(layoutY)
    // in place, unless the scroll would have to go above the top
    if (top > 0) expect(drawn - top).toBeCloseTo(anchor, 6)
    else expect(drawn - anchor).toBeLessThanOrEqual(1e-6)
  })
  test.prop([fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.nat(8)])(
    'label lines: never more than there are, never more than fit',
    (h, n) => {
      const k = linesThatFit(h, n)
      expect(k).toBeGreaterThanOrEqual(0)
      expect(k).toBeLessThanOrEqual(n)
      if (k > 0) expect(k * 13 + 2 * 5 - 2).toBeLessThanOrEqual(h)
    },
  )
  it('clampZoom keeps the bounds', () => {
    expect(clampZoom(0)).toBe(MIN_ZOOM)
    expect(clampZoom(1e9)).toBe(MAX_ZOOM)
    expect(clampZoom(2)).toBe(2)
  })
  const rect = fc.record({
    x: fc.constant(0),
    y: fc.integer({ min: 0, max: 10_000 }),
    width: fc.constant(10),
    height: fc.integer({ min: 0, max: 500 }),
  })
  test.prop([
    fc.array(rect, { maxLength: 50 }),
    frame,
    fc.integer({ min: 0, max: 20_000 }),
    fc.integer({ min: 0, max: 2000 }),
  ])('visible: exactly the rects that meet the window', (rs, f, from, h) => {
    const want = rs.flatMap((r, i) => {
      const y0 = (r.y - f.top) * f.zoom + PAD_TOP
      const y1 = (r.y + r.height - f.top) * f.zoom + PAD_TOP
      return y1 >= from && y0 <= from + h ? [i] : []
    })
    expect(visible(rs, f, from, from + h)).toEqual(want)
  })
})
