// The invariant dirty tracking must never break: every page the guest writes is reported
// dirty by the next migration round, whatever happened in between. Model-based: random
// command sequences (guest writes by GPA, BAR moves, PAM switches, decode off/on, log
// syncs, ring harvests, migration rounds that clear) run against the pipeline and against
// a naive reference that keeps a plain Set of the ram_addr_t pages written since the last
// round; the pipeline's pages must include the reference's, in bitmap, manual-protect and
// ring modes. The machine is the recorded QEMU 7.2 Q35 (VGA + virtio-net, BARs mapped).
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { Q35_MTREE_D, Q35_RAMBLOCK } from '../../src/machines/q35-recorded.js'
import * as mtree from '../../src/qemu/mtree.js'
import { parse as parseRamblock } from '../../src/qemu/info-ramblock.js'
import * as topology from '../../src/region/index.js'
import type { Topology } from '../../src/region/topology.js'
import type { RegionId } from '../../src/region/region.js'
import * as tracker from '../../src/dirty/tracker.js'
import type { Tracker } from '../../src/dirty/tracker.js'
import type { LogMode } from '../../src/kvm/kernel-dirty.js'
import * as translate from '../../src/translate/address-map.js'
import { Gpa } from '../../src/addresses/kinds.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const base = must(mtree.parse(Q35_MTREE_D))
const ramList = must(parseRamblock(Q35_RAMBLOCK))
const vram = must(topology.resolveRef('vga.vram')(base))
const pci = vram.container as RegionId
const VRAM_SIZE = vram.size

/** The four PAM aliases of each segment: [pci, rom, pam-pci->ram, ram] by mode 0..3. */
const pamSegments: Array<readonly [RegionId, RegionId, RegionId, RegionId]> = (() => {
  const segs = new Map<bigint, { pci?: RegionId; rom?: RegionId; wo?: RegionId; ram?: RegionId }>()
  for (const r of base.regions.values()) {
    if (!r.name.startsWith('pam-') || r.kind !== 'alias') continue
    const target = base.regions.get(r.aliasTarget as RegionId)?.name
    const s = segs.get(r.addr) ?? {}
    if (r.name === 'pam-pci' && target === 'pci') s.pci = r.id
    else if (r.name === 'pam-rom') s.rom = r.id
    else if (r.name === 'pam-pci') s.wo = r.id
    else if (r.name === 'pam-ram') s.ram = r.id
    segs.set(r.addr, s)
  }
  return [...segs.values()].map(
    (s) =>
      [s.pci, s.rom, s.wo, s.ram] as unknown as readonly [RegionId, RegionId, RegionId, RegionId],
  )
})()

type Cmd =
  | { op: 'write'; vcpu: number; window: number; page: number }
  | { op: 'move'; addr: bigint }
  | { op: 'pam'; segment: number; mode: number }
  | { op: 'decode'; on: boolean }
  | { op: 'sync' }
  | { op: 'round' }
  | { op: 'msync' }
  | { op: 'clear'; which: number }

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      vcpu: fc.nat(1),
      window: fc.nat(6),
      page: fc.nat(4095),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('move' as const),
      addr: fc.constantFrom(0xfd000000n, 0xe0000000n, 0xc0000000n, 0x800000000n, 0x1f000000n),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('pam' as const),
      segment: fc.nat(pamSegments.length - 1),
      mode: fc.nat(3),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('decode' as const), on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sync' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('round' as const) }) },
  // a round split as QEMU does it: sync now, clear each chunk's KVM log later
  { weight: 1, arbitrary: fc.record({ op: fc.constant('msync' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('clear' as const), which: fc.nat(7) }) },
)

const modes: ReadonlyArray<LogMode> = [
  { kind: 'bitmap', manualProtect: false, initiallySet: false },
  { kind: 'bitmap', manualProtect: true, initiallySet: true },
  { kind: 'ring', size: 128, reserved: 64 },
]
// the starting tracker is a value: build it once per mode (after a first round has sent
// every page, as migration's first pass does) and reuse it
const starts = modes.map(
  (mode) =>
    must(tracker.migrationRound()(must(tracker.start({ mode, vcpus: 2 })(base, ramList)))).tracker,
)

interface World {
  t: Topology
  barAddr: bigint
  decoded: boolean
}

/** The GPA a write command aims at, in the current map. */
const gpaOf = (w: World, c: Extract<Cmd, { op: 'write' }>): bigint => {
  const off = BigInt(c.page) * 0x1000n
  switch (c.window) {
    case 0:
      return off % 0xa0000n // low RAM
    case 1:
      return 0xc0000n + (off % 0x40000n) // PAM / option ROM / BIOS window
    case 2:
      return 0x100000n + off * 97n // RAM above 1 MiB
    case 3:
      return w.barAddr + (off % VRAM_SIZE) // the framebuffer BAR, wherever it is
    case 4:
      return 0xfffc0000n + (off % 0x40000n) // the BIOS ROM
    case 5:
      return 0x1ff00000n + off // the top of RAM and the hole above
    default:
      return 0xfe000000n + (off % 0x100000n) // MMIO
  }
}

const step = (w: World, c: Cmd): Topology | undefined => {
  switch (c.op) {
    case 'move':
      w.barAddr = c.addr
      return w.decoded ? must(topology.setAddress(vram.id, c.addr)(w.t)) : undefined
    case 'decode':
      if (c.on === w.decoded) return undefined
      w.decoded = c.on
      return c.on
        ? must(topology.addSubregion(pci, vram.id, w.barAddr, 1)(w.t))
        : must(topology.removeSubregion(vram.id)(w.t))
    case 'pam': {
      const aliases = pamSegments[c.segment] as readonly RegionId[]
      let t = w.t
      aliases.forEach((id, mode) => {
        t = must(topology.setEnabled(id, mode === c.mode)(t))
      })
      return t
    }
    default:
      return undefined
  }
}

describe('dirty tracking never loses a page (model-based)', () => {
  test.prop(
    [
      fc.nat(modes.length - 1),
      fc.array(cmd, { minLength: 1, maxLength: 24 }),
      fc.constantFrom(18, 10, 6),
    ],
    {
      numRuns: Number(process.env.RAMADDR_MODEL_RUNS ?? 10_000),
    },
  )(
    'every page written since the last round is reported by the next one',
    (modeIndex, cmds, clearBmapShift) => {
      let tr: Tracker = starts[modeIndex] as Tracker
      const world: World = { t: base, barAddr: vram.addr, decoded: true }
      let written = new Set<number>()
      let pendingChunks: number[] = []
      // pages a split round has still to send, by chunk: sent after their chunk's KVM log
      // is cleared, so a write to one of them before then goes out with it
      let toSend = new Map<number, Set<number>>()
      const chunkOf = (p: number) => Math.floor(p / 2 ** clearBmapShift)
      const finishSplitRound = (): void => {
        for (const chunk of pendingChunks) tr = must(tracker.clearChunk(chunk, clearBmapShift)(tr))
        pendingChunks = []
        toSend = new Map()
      }
      const check = (pages: ReadonlyArray<number>): void => {
        const reported = new Set(pages)
        const lost = [...written].filter((p) => !reported.has(p))
        expect(lost).toEqual([])
        written = new Set()
      }
      const round = (): void => {
        finishSplitRound()
        const r = must(tracker.migrationRound(clearBmapShift)(tr))
        tr = r.tracker
        pendingChunks = []
        check(r.pages)
      }
      for (const c of cmds) {
        if (c.op === 'write') {
          const gpa = gpaOf(world, c)
          const x = translate.translationOfGpa(Gpa.unsafe(gpa))(tr.map)
          const page = Number(x._tag === 'Ram' ? x.ramAddr >> 12n : -1n)
          if (x._tag === 'Ram' && !x.readonly && toSend.get(chunkOf(page))?.has(page) !== true)
            written.add(page)
          tr = must(tracker.guestWrite(c.vcpu, Gpa.unsafe(gpa))(tr))
        } else if (c.op === 'sync') tr = must(tracker.logSync(tr))
        else if (c.op === 'round') round()
        else if (c.op === 'msync') {
          // the first half of a round: sync now, clear each chunk's KVM log later
          finishSplitRound()
          const r = must(tracker.migrationSync(clearBmapShift)(tr))
          tr = r.tracker
          pendingChunks = [...r.chunks]
          for (const p of r.pages)
            toSend.set(chunkOf(p), (toSend.get(chunkOf(p)) ?? new Set()).add(p))
          check(r.pages)
        } else if (c.op === 'clear') {
          // clear one chunk's KVM log, then send its pages
          const chunk = pendingChunks.splice(c.which % Math.max(1, pendingChunks.length), 1)[0]
          if (chunk !== undefined) {
            tr = must(tracker.clearChunk(chunk, clearBmapShift)(tr))
            toSend.delete(chunk)
          }
        } else {
          const next = step(world, c)
          if (next !== undefined) {
            world.t = next
            tr = must(tracker.changeTopology(next)(tr))
          }
        }
      }
      round()
    },
  )
})
