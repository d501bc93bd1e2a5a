// Conformance of region trees, flat views and translation with every recorded state: QEMU
// 7.2 under TCG and KVM, QEMU 10.0, other targets and machines from both:
//  (a) each state's tree (info mtree -D, and info mtree) renders to exactly QEMU's flat
//      view for every address space, what the text does not say learned from the same
//      state's info mtree -f;
//  (b) where the next state differs from this one only by one region's address (the
//      printed trees say so), applying that move to this state's tree gives exactly the
//      next state's tree text and flat view;
//  (c) every gpa2hva probe translates to the region QEMU named and to a ram_addr_t such
//      that HVA - ram_addr_t is constant within each RAMBlock.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as mtree from '../../src/qemu/mtree.js'
import * as mtreeFlat from '../../src/qemu/mtree-flat.js'
import { applyFacts, fromSameState, learnFacts } from '../../src/qemu/learn.js'
import { renderAll } from '../../src/flatview/flatview.js'
import { QEMU } from '../../src/qemu/knowledge.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import * as topology from '../../src/region/index.js'
import * as translate from '../../src/translate/address-map.js'
import { Gpa } from '../../src/addresses/kinds.js'
import type { Topology } from '../../src/region/topology.js'
import { fixture, scenarios, stateId, type Scenario } from '../helpers.js'

const must = <A>(r: E.Either<{ message: string }, A>, what: string): A => {
  if (E.isLeft(r)) throw new Error(`${what}: ${r.left.message}`)
  return r.right
}

const accelOf = (s: Scenario) => (s.recording.endsWith('-kvm') ? 'kvm' : 'tcg') as 'kvm' | 'tcg'

const flatOf = (s: Scenario, n: number) =>
  must(mtreeFlat.parse(fixture(s, n, 'mtree-f.txt')), `${stateId(n)}-mtree-f.txt`)

const expectViews = (t: Topology, s: Scenario, n: number): void => {
  const want = mtreeFlat.linesByAddressSpace(flatOf(s, n))
  const got = mtreeFlat.renderedLinesByAddressSpace({ accel: accelOf(s) })(t)
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort())
  for (const [as, lines] of want) expect({ as, lines: got.get(as) }).toEqual({ as, lines })
}

/** The single region move that turns state `text` into `next`, if there is one. */
const findMove = (
  t: Topology,
  next: Topology,
  nextText: string,
): { name: string; addr: bigint } | undefined => {
  const unique = (tt: Topology) => {
    const count = new Map<string, number>()
    for (const r of tt.regions.values()) count.set(r.name, (count.get(r.name) ?? 0) + 1)
    return count
  }
  const here = unique(t)
  const there = unique(next)
  for (const r of t.regions.values()) {
    if (here.get(r.name) !== 1 || there.get(r.name) !== 1 || r.container === undefined) continue
    const other = topology.byName(r.name)(next)[0]
    if (other === undefined || other.addr === r.addr) continue
    const moved = topology.setAddress(r.id, other.addr)(t)
    if (E.isRight(moved) && mtree.print({ disabled: true })(moved.right) === nextText)
      return { name: r.name, addr: other.addr }
  }
  return undefined
}

const movesSeen: string[] = []

for (const s of scenarios()) {
  describe(`${s.recording}/${s.name}`, () => {
    // what the text does not say is learned from the flat view of the same state, never
    // of another (learn.fromSameState: it also checks that the view is of that state)
    const learned = (n: number, file: string): Topology =>
      must(
        fromSameState(flatOf(s, n))(must(mtree.parse(fixture(s, n, file)), file)),
        `learning ${stateId(n)}-${file} from ${stateId(n)}-mtree-f.txt`,
      ).topology
    for (let n = 0; n < s.states; n++) {
      const id = stateId(n)
      it(`${id}: info mtree -D renders to QEMU's flat view in every address space (a)`, () => {
        expectViews(learned(n, 'mtree-D.txt'), s, n)
      })
      it(`${id}: info mtree (without -D) renders to the same flat view (a)`, () => {
        expectViews(learned(n, 'mtree.txt'), s, n)
      })
      it(`${id}: address spaces share flat views as QEMU groups them, No rendered FlatView included (d)`, () => {
        const blocks = flatOf(s, n)
        const learned = fromSameState(blocks)(
          must(mtree.parse(fixture(s, n, 'mtree-D.txt')), `${id}-mtree-D.txt`),
        )
        const t = must(learned, 'learn').topology
        const qemu = blocks
          .map(
            (b) =>
              `${b.addressSpaces
                .map((a) => mtreeFlat.asKey(a.name, a.root))
                .sort()
                .join(
                  ' + ',
                )} | root ${b.root} | ${b.ranges.length === 0 ? 'No rendered FlatView' : `${b.ranges.length} ranges`}`,
          )
          .sort()
        const ours = renderAll({ tcg: accelOf(s) === 'tcg' })(t)
          .map(
            (v) =>
              `${v.addressSpaces
                .map((a) => mtreeFlat.asKey(a.name, mtreeFlat.asRootText(t, a.root)))
                .sort()
                .join(
                  ' + ',
                )} | root ${O.isSome(v.view.root) ? (t.regions.get(v.view.root.value)?.name ?? '?') : '(none)'} | ${v.view.ranges.length === 0 ? 'No rendered FlatView' : `${v.view.ranges.length} ranges`}`,
          )
          .sort()
        expect(ours).toEqual(qemu)
      })
      it(`${id}: every gpa2hva probe translates consistently with info ramblock (c)`, () => {
        const t = must(mtree.parse(fixture(s, n, 'mtree-D.txt')), 'mtree')
        const list = must(parseRamblock(fixture(s, n, 'ramblock.txt')), 'ramblock')
        const map = must(translate.make({ topology: t, ramList: list }), 'address map')
        const probes = JSON.parse(fixture(s, n, 'probes.json')) as Array<{
          gpa: string
          region: string
          hva: string
        }>
        expect(probes.length).toBeGreaterThan(0)
        const delta = new Map<string, bigint>()
        for (const p of probes) {
          const x = translate.translationOfGpa(Gpa.unsafe(BigInt(p.gpa)))(map)
          expect({ gpa: p.gpa, tag: x._tag }).toEqual({ gpa: p.gpa, tag: 'Ram' })
          if (x._tag !== 'Ram') continue
          expect(x.region.name).toBe(p.region)
          expect(x.offsetInRegion < x.block.usedLength).toBe(true)
          // a dump with the HVA column gives the host address itself
          if (O.isSome(x.block.host))
            expect({
              gpa: p.gpa,
              hva: `0x${(x.block.host.value + x.ramAddr - x.block.offset).toString(16)}`,
            }).toEqual({ gpa: p.gpa, hva: p.hva })
          const d = BigInt(p.hva) - x.ramAddr
          const seen = delta.get(x.block.idstr)
          if (seen === undefined) delta.set(x.block.idstr, d)
          else
            expect({ block: x.block.idstr, delta: d }).toEqual({
              block: x.block.idstr,
              delta: seen,
            })
          // and the reverse direction finds the probe's GPA
          expect(translate.gpasOfRamAddr(x.ramAddr)(map)).toContain(BigInt(p.gpa))
        }
      })
      if (n + 1 < s.states) {
        it(`${id} -> ${stateId(n + 1)}: a single region move reproduces the next state exactly (b)`, () => {
          const t = learned(n, 'mtree-D.txt')
          const nextText = fixture(s, n + 1, 'mtree-D.txt')
          const next = must(mtree.parse(nextText), 'next mtree')
          const move = findMove(t, next, nextText)
          if (move === undefined) return // not a pure move (a BAR appearing, PAM, SMRAM…)
          movesSeen.push(`${s.recording}/${s.name} ${id} ${move.name}=0x${move.addr.toString(16)}`)
          const r = topology.byName(move.name)(t)[0]
          const moved = pipe(t, topology.setAddress(r?.id ?? (0 as never), move.addr))
          expectViews(must(moved, 'move'), s, n + 1)
        })
      }
    }
    if (s.states > 1 || s.name === 'pc-5g-numa')
      it('learns the terminating I/O regions QEMU shows', () => {
        const t00 = must(
          mtree.parse(fixture(s, 0, 'mtree-D.txt'), {
            knowledge: { ...QEMU, terminatingIo: new Set() },
          }),
          'mtree',
        )
        const t = applyFacts(learnFacts(flatOf(s, 0))(t00))(t00)
        const names = [...t.regions.values()]
          .filter((r) => r.kind === 'io' && r.subregions.length > 0)
          .map((r) => r.name)
        // QEMU's sources: the ISA I/O space and the RTC (hw/i386, hw/rtc/mc146818rtc.c) on
        // x86; the GPEX windows with unassigned ops (hw/pci-host/gpex.c) on Arm virt
        // (those with subregions: the windows hold the PCI address spaces' aliases)
        const gpex = ['gpex_ioport_window', 'gpex_mmio_window'].filter((n) =>
          [...t.regions.values()].some((r) => r.name === n && r.subregions.length > 0),
        )
        const x86 = s.name.includes('x86') || !/aarch64|riscv/.test(s.name)
        expect(new Set(names)).toEqual(new Set([...(x86 ? ['io', 'rtc'] : []), ...gpex]))
        expectViews(t, s, 0)
      })
  })
}

describe('BAR moves found in the recordings', () => {
  it('include the VGA framebuffer moves of q35-512m-vga-net under TCG and KVM', () => {
    expect(movesSeen.filter((m) => m.includes('q35-512m-vga-net')).sort()).toEqual([
      'qemu-10.0/q35-512m-vga-net 08 vga.vram=0xe0000000',
      'qemu-10.0/q35-512m-vga-net 09 vga.vram=0xc0000000',
      'qemu-7.2-kvm/q35-512m-vga-net 08 vga.vram=0xe0000000',
      'qemu-7.2-kvm/q35-512m-vga-net 09 vga.vram=0xc0000000',
      'qemu-7.2/q35-512m-vga-net 08 vga.vram=0xe0000000',
      'qemu-7.2/q35-512m-vga-net 09 vga.vram=0xc0000000',
    ])
  })
})
