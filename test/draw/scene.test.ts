// The picture's data checked against what QEMU itself printed for the recorded machines:
// `info mtree -f` (ranges, types, offsets within regions) and `info ramblock` (block
// offsets), and the alias lines of `info mtree`.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { make } from '../../src/translate/address-map.js'
import { setAddress } from '../../src/region/topology.js'
import { resolveRef } from '../../src/region/region-ref.js'
import { provenance } from '../../src/draw/provenance.js'
import { scene, type Scene } from '../../src/draw/scene.js'
import { fixture } from '../helpers.js'
import { memoryFlatLines, ramblockLines, states, type State } from './recorded.js'

const all = states()
const RAM_TYPES = new Set(['ram', 'rom', 'romd', 'ramd'])
const lastComponent = (idstr: string): string =>
  idstr.startsWith('/rom@') ? idstr : (idstr.split('/').pop() ?? idstr)

const at = (id: string): State => {
  const s = all.find((x) => x.id === id)
  if (s === undefined) throw new Error(`no state ${id}`)
  return s
}

describe('scene of every recorded state', () => {
  it('has the recorded states', () => {
    expect(all.length).toBeGreaterThanOrEqual(30)
  })

  it.each(all.map((s) => [s.id, s] as const))(
    '%s: RAM boxes and links are the RAM lines of info mtree -f, ram_addr from info ramblock',
    (_, s) => {
      const sc = scene(s.map)
      const flat = memoryFlatLines(fixture(s.scenario, s.n, 'mtree-f.txt'))
      const blocks = ramblockLines(fixture(s.scenario, s.n, 'ramblock.txt'))
      const ramLines = flat.filter((l) => RAM_TYPES.has(l.type))
      const ramBoxes = sc.gpa.filter((b) => b.kind === 'ram' || b.kind === 'rom')
      expect(ramBoxes.map((b) => [b.start, b.end, b.name, b.type])).toEqual(
        ramLines.map((l) => [l.start, l.end, l.name, l.type]),
      )
      expect(sc.links.map((k) => [k.gpaStart, k.gpaEnd])).toEqual(
        ramLines.map((l) => [l.start, l.end]),
      )
      for (const [i, k] of sc.links.entries()) {
        const line = ramLines[i]
        const rec = blocks.get(k.block)
        expect(line !== undefined && rec !== undefined).toBe(true)
        if (line === undefined || rec === undefined) continue
        expect(lastComponent(k.block)).toBe(line.name)
        // ram_addr = block->offset + offset within the region, both as QEMU printed them
        expect(k.ramStart).toBe(rec.offset + line.offset)
      }
      expect(sc.blocks.map((b) => [b.idstr, b.start, b.used, b.max])).toEqual(
        [...blocks]
          .map(([idstr, b]) => [idstr, b.offset, b.used, b.max])
          .sort((a, b) => ((a[1] as bigint) < (b[1] as bigint) ? -1 : 1)),
      )
      // the I/O boxes cover exactly the lines with no RAM behind them
      const covered = (rs: ReadonlyArray<{ start: bigint; end: bigint }>): string =>
        rs
          .reduce<Array<[bigint, bigint]>>((acc, r) => {
            const last = acc[acc.length - 1]
            if (last !== undefined && last[1] === r.start) last[1] = r.end
            else acc.push([r.start, r.end])
            return acc
          }, [])
          .join(';')
      expect(covered(sc.gpa.filter((b) => b.kind === 'mmio'))).toBe(
        covered(flat.filter((l) => !RAM_TYPES.has(l.type))),
      )
      expect(sc.changes).toEqual([])
    },
  )

  it.each(all.map((s) => [s.id, s] as const))(
    '%s: provenance at both ends of every flat range finds the rendered region and offset',
    (_, s) => {
      const as = s.map.topology.addressSpaces.find((a) => a.name === 'memory')
      expect(as).toBeDefined()
      if (as === undefined) return
      for (const r of s.map.view.ranges)
        for (const addr of [r.start, r.end - 1n]) {
          const p = provenance(as.root, addr)(s.map.topology)
          expect(O.isSome(p)).toBe(true)
          if (O.isNone(p)) continue
          expect(p.value.region.id).toBe(r.region)
          expect(p.value.offsetInRegion).toBe(r.offsetInRegion + (addr - r.start))
        }
      // and nothing where the view has nothing (just past the last range, if room)
      const last = s.map.view.ranges[s.map.view.ranges.length - 1]
      if (last !== undefined && last.end < 1n << 64n)
        expect(O.isNone(provenance(as.root, last.end)(s.map.topology))).toBe(true)
    },
  )
})

describe('aliases, as info mtree prints them', () => {
  const aliasOf = (sc: Scene, start: bigint): string | undefined =>
    sc.gpa.find((b) => b.start === start)?.alias
  it('q35: pc.ram through ram-below-4g, pc.rom through pam-pci, the low BIOS through isa-bios', () => {
    // info mtree: "alias ram-below-4g @pc.ram 0000000000000000-000000001fffffff",
    // "alias pam-pci @pci 00000000000c0000-…", "alias isa-bios @pc.bios 0000000000020000-…"
    const sc = scene(at('qemu-7.2/q35-512m-vga-net/00').map)
    expect(aliasOf(sc, 0x0n)).toBe('alias ram-below-4g @ pc.ram+0x0')
    expect(aliasOf(sc, 0x100000n)).toBe('alias ram-below-4g @ pc.ram+0x0')
    expect(aliasOf(sc, 0xc0000n)).toBe('alias pam-pci @ pci+0xc0000')
    expect(aliasOf(sc, 0xe0000n)).toBe('alias isa-bios @ pc.bios+0x20000')
    expect(sc.gpa.find((b) => b.start === 0xe0000n)?.aliasChain).toEqual([
      'pam-pci @ pci+0xe0000',
      'isa-bios @ pc.bios+0x20000',
    ])
    // the high BIOS is pc.bios itself, mapped in pci
    expect(aliasOf(sc, 0xfffc0000n)).toBeUndefined()
  })
})

describe('a BAR move (vga.vram 0xfd000000 -> 0xe0000000, state 08 -> 09)', () => {
  it.each(['qemu-7.2', 'qemu-7.2-kvm'])('%s: old and new place, same ram_addr_t', (rec) => {
    const s = at(`${rec}/q35-512m-vga-net/08`)
    const moved = E.chain((r: { id: Parameters<typeof setAddress>[0] }) =>
      setAddress(r.id, 0xe0000000n)(s.topology),
    )(resolveRef('vga.vram')(s.topology))
    if (E.isLeft(moved)) throw new Error(moved.left.message)
    const after = make({ topology: moved.right, ramList: s.ramList })
    if (E.isLeft(after)) throw new Error(after.left.message)
    const sc = scene(after.right, s.map, ['vga.vram=0xe0000000'])
    expect(sc.changes).toEqual([
      { side: 'old', start: 0xfd000000n, end: 0xfe000000n, name: 'vga.vram' },
      { side: 'new', start: 0xe0000000n, end: 0xe1000000n, name: 'vga.vram' },
    ])
    const ghost = sc.gpa.filter((b) => b.kind === 'ghost')
    expect(ghost.map((b) => [b.start, b.end, b.block])).toEqual([
      [0xfd000000n, 0xfe000000n, '0000:00:02.0/vga.vram'],
    ])
    expect(sc.gpa.filter((b) => b.moved).map((b) => [b.name, b.start])).toEqual([
      ['vga.vram', 0xe0000000n],
    ])
    const vram = ramblockLines(fixture(s.scenario, 8, 'ramblock.txt')).get('0000:00:02.0/vga.vram')
    const links = sc.links.filter((k) => k.block === '0000:00:02.0/vga.vram')
    expect(links.map((k) => [k.gpaStart, k.ramStart, k.ghost])).toEqual([
      [0xe0000000n, vram?.offset, false],
      [0xfd000000n, vram?.offset, true],
    ])
    // what QEMU showed after doing the same move (state 09)
    const next = at(`${rec}/q35-512m-vga-net/09`)
    const want = memoryFlatLines(fixture(next.scenario, 9, 'mtree-f.txt'))
      .filter((l) => RAM_TYPES.has(l.type))
      .map((l) => [l.start, l.end, l.name])
    expect(
      sc.gpa
        .filter((b) => b.kind === 'ram' || b.kind === 'rom')
        .map((b) => [b.start, b.end, b.name]),
    ).toEqual(want)
  })
})
