// Mirror-VM plans on the recorded QEMU 7.2 machines: valid plans pass every validator,
// each injected violation is caught with its kind, translations round-trip, and after a
// BAR move the shifted mappings stay put while tuple invalidation is exact (checked page
// by page through the translation layer, an independent path from the planner's).
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { mtree, infoRamblock, translate, topology } from '../../src/index.js'
import * as mirror from '../../src/mirror/index.js'
import * as confidential from '../../src/confidential/index.js'
import type { Gpa, MirrorGpa } from '../../src/addresses/kinds.js'
import type { AddressMap } from '../../src/translate/address-map.js'
import type { Platform } from '../../src/confidential/platform.js'
import type { MirrorPlan, Tuple } from '../../src/mirror/index.js'
import { fixture, scenarios } from '../helpers.js'
import * as mirrorArb from '../../src/arbitraries/mirror.js'

const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e))
    throw new Error(
      JSON.stringify(e.left, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)),
    )
  return e.right
}

const machines = scenarios().map((s) => {
  const t = right(mtree.parse(fixture(s, s.states - 1, 'mtree-D.txt')))
  const l = right(infoRamblock.parse(fixture(s, s.states - 1, 'ramblock.txt')))
  return {
    name: `${s.recording}/${s.name}`,
    topology: t,
    ramList: l,
    map: right(translate.make({ topology: t, ramList: l })),
  }
})
const q35 = machines.find((m) => m.name === 'qemu-7.2/q35-512m-vga-net')
if (q35 === undefined) throw new Error('the q35 recording is missing')

const sev48: Platform = right(
  confidential.platform.make({ kind: 'sev', cbitpos: 47, reducedPhysBits: 1, maxPhysAddr: 48 }),
)
const snp: Platform = { ...sev48, kind: 'sev-snp' }

/** RAM-backed flat ranges of a map, as [start, end) with their index. */
const ramRanges = (map: AddressMap) =>
  map.view.ranges.flatMap((r, i) =>
    map.ramDelta[i] === undefined ? [] : [{ start: r.start, end: r.end }],
  )

/** Valid tuples by construction (the exported arbitrary). */
const validTuples = (map: AddressMap, base: bigint, identity = false) =>
  mirrorArb.tuples(map, base, { identity })

/**
 * A mirror base above every RAM-backed range of the main VM: the first multiple of 2^40
 * at or past their end. A base that the main VM also uses for RAM (sbsa-ref's RAM starts
 * at 2^40) can put a tuple at its own main GPA, which is an identity mapping and not a
 * violation.
 */
const baseAbove = (map: AddressMap): bigint => {
  const end = ramRanges(map).reduce((e, r) => (r.end > e ? r.end : e), 0n)
  const step = 1n << 40n
  return end <= step ? step : ((end + step - 1n) / step) * step
}

/** Valid tuples mirrored from {@link baseAbove}. */
const highTuples = (map: AddressMap) => validTuples(map, baseAbove(map))

const machineArb = fc.constantFrom(...machines)

describe('the seeds’ numbers', () => {
  it('the huge shift is 2^(MAXPHYADDR - reduction - 1): 2^42 for 48 and 5', () => {
    const p = right(
      confidential.platform.make({ kind: 'sev', cbitpos: 47, reducedPhysBits: 5, maxPhysAddr: 48 }),
    )
    expect(confidential.platform.hugeShift(p)).toBe(1n << 42n)
    const r = mirror.plan({ map: q35.map, scheme: { kind: 'shifted' }, platform: p })
    expect(r.plan.shift).toBe(1n << 42n)
    expect(r.violations).toEqual([])
    // pc.ram at ram_addr_t 0 appears at 2^42; vga.vram (ram_addr_t 0x20080000) at 2^42 + that.
    const shifted = r.plan.slots.filter((s) => s.source === 'shifted')
    expect(shifted.find((s) => s.block === 'pc.ram')?.mirrorGpa).toBe(1n << 42n)
    expect(shifted.find((s) => s.block.endsWith('vga.vram'))?.mirrorGpa).toBe(
      (1n << 42n) + 0x20080000n,
    )
  })
  it('a 4 GiB shift puts the low 512 MiB at 0 (identity) and at 4 GiB (shifted)', () => {
    const { plan } = mirror.plan({
      map: q35.map,
      scheme: { kind: 'shifted', shift: 1n << 32n },
    })
    expect(mirror.mirrorGpasOfMain(0x1234n as Gpa)(plan)).toEqual([0x1234n, 0x100001234n])
  })
  it('SEV-SNP objects to scheme 1 for low RAM: identity plus shifted is two GPAs for one page', () => {
    const r = mirror.plan({
      map: q35.map,
      scheme: { kind: 'shifted', shift: 1n << 32n },
      platform: snp,
    })
    const twice = r.violations.filter(
      (v) =>
        v.kind === 'snp-double-mapping' &&
        v.ram.start === 0n &&
        v.gpas[0] === 0n &&
        v.gpas[1] === 1n << 32n,
    )
    expect(twice.length).toBeGreaterThan(0)
    // …and to shifted RAM that the main VM maps elsewhere.
    const vram = q35.ramList.blocks.find((b) => b.idstr.endsWith('vga.vram'))!
    const vramGpa = translate.gpasOfRamAddr(vram.offset)(q35.map)[0]
    expect(vramGpa).toBeDefined()
    expect(
      r.violations.some(
        (v) =>
          v.kind === 'snp-double-mapping' &&
          v.gpas[0] === vramGpa &&
          v.gpas[1] === vram.offset + (1n << 32n),
      ),
    ).toBe(true)
  })
  it('vTOM: helper memory below vTOM, memory shared with the main VM above it', () => {
    const vtom = 1n << 40n
    const p: Platform = { ...snp, vtom: vtom as Gpa }
    const tuples: Tuple[] = [
      { mainGpa: 0x100000n as Gpa, length: 0x100000n, mirrorGpa: (vtom + 0x100000n) as MirrorGpa },
    ]
    const ok = mirror.plan({
      map: q35.map,
      scheme: { kind: 'tuples', tuples },
      platform: { ...sev48, kind: 'sev-snp', vtom: vtom as Gpa },
      helper: { vcpus: 2 },
    })
    // Under SNP a tuple must keep the main GPA: this one does not, and is reported.
    expect(ok.violations.map((v) => v.kind)).toEqual(['snp-double-mapping'])
    expect(ok.plan.helper !== undefined && ok.plan.helper.base + ok.plan.helper.size <= vtom).toBe(
      true,
    )
    const below = mirror.plan({
      map: q35.map,
      scheme: { kind: 'tuples', tuples: [{ ...tuples[0]!, mirrorGpa: 0x100000n as MirrorGpa }] },
      platform: p,
      helper: { vcpus: 1 },
    })
    expect(below.violations.map((v) => v.kind)).toEqual(['vtom-shared-below'])
  })
})

describe('valid plans pass every validator', () => {
  test.prop([machineArb.chain((m) => fc.tuple(fc.constant(m), highTuples(m.map)))], {
    numRuns: 200,
  })('random declared tuples, SEV, helper on top', ([m, tuples]) => {
    const r = mirror.plan({
      map: m.map,
      scheme: { kind: 'tuples', tuples },
      platform: sev48,
      helper: { vcpus: 4 },
    })
    expect(r.violations).toEqual([])
    expect(r.plan.slots.filter((s) => s.source === 'tuple').reduce((n, s) => n + s.size, 0n)).toBe(
      tuples.reduce((n, t) => n + t.length, 0n),
    )
  })
  test.prop([machineArb.chain((m) => fc.tuple(fc.constant(m), validTuples(m.map, 0n, true)))], {
    numRuns: 200,
  })('identity tuples under SEV-SNP (one GPA per page)', ([m, tuples]) => {
    const r = mirror.plan({
      map: m.map,
      scheme: { kind: 'tuples', tuples },
      platform: snp,
      helper: { vcpus: 1 },
    })
    expect(r.violations).toEqual([])
  })
  test.prop([machineArb, fc.constantFrom(1n << 32n, 1n << 40n, 1n << 46n)], { numRuns: 30 })(
    'the shifted scheme with SEV',
    (m, shift) => {
      const r = mirror.plan({
        map: m.map,
        scheme: { kind: 'shifted', shift },
        platform: sev48,
        helper: { vcpus: 2 },
      })
      expect(r.violations).toEqual([])
    },
  )
})

describe('injected violations are caught', () => {
  const arb = machineArb.chain((m) => fc.tuple(fc.constant(m), highTuples(m.map)))
  test.prop([arb], { numRuns: 100 })(
    'overlap: a tuple declared on top of another',
    ([m, tuples]) => {
      const bad = [...tuples, { ...tuples[0]!, mirrorGpa: tuples[0]!.mirrorGpa }]
      const r = mirror.plan({
        map: m.map,
        scheme: { kind: 'tuples', tuples: bad },
        platform: sev48,
      })
      const o = r.violations.filter((v) => v.kind === 'overlap')
      expect(o.length).toBeGreaterThan(0)
      expect(r.violations.every((v) => v.kind === 'overlap')).toBe(true)
    },
  )
  test.prop([arb], { numRuns: 100 })('beyond the usable width', ([m, tuples]) => {
    const limit = confidential.platform.usableLimit(sev48)
    const bad = tuples.map((t, i) =>
      i === 0
        ? { ...t, mirrorGpa: (limit - 0x1000n) as MirrorGpa, length: 0x2000n, mainGpa: t.mainGpa }
        : t,
    )
    const r = mirror.plan({
      map: m.map,
      scheme: { kind: 'tuples', tuples: [bad[0]!] },
      platform: sev48,
    })
    // The tuple may now run past its RAM range: either way the width violation is there.
    const beyond = r.violations.filter((v) => v.kind === 'beyond-width')
    const notRam = r.violations.filter((v) => v.kind === 'tuple-not-ram')
    expect(beyond.length + notRam.length).toBeGreaterThan(0)
    if (notRam.length === 0) expect(beyond[0]).toMatchObject({ limit })
  })
  test.prop([arb], { numRuns: 100 })('a slot on the helper’s memory', ([m, tuples]) => {
    const r = mirror.plan({
      map: m.map,
      scheme: { kind: 'tuples', tuples },
      platform: sev48,
      helper: { vcpus: 1 },
    })
    const h = r.plan.helper!
    const first = r.plan.slots[0]!
    const p: MirrorPlan = {
      ...r.plan,
      slots: [...r.plan.slots, { ...first, slot: 99, mirrorGpa: (h.base + 0x1000n) as MirrorGpa }],
    }
    const v = mirror.validate(p)
    expect(v.map((x) => x.kind)).toEqual(['helper-collision'])
    expect(v[0]).toMatchObject({ slot: 99, helper: { start: h.base, end: h.base + h.size } })
  })
  test.prop([arb], { numRuns: 100 })(
    'SEV-SNP: a tuple at another GPA than the main VM’s',
    ([m, tuples]) => {
      const r = mirror.plan({ map: m.map, scheme: { kind: 'tuples', tuples }, platform: snp })
      expect(r.violations.length).toBeGreaterThan(0)
      expect(r.violations.every((v) => v.kind === 'snp-double-mapping')).toBe(true)
    },
  )
  test.prop([arb], { numRuns: 100 })('vTOM: helper memory at vTOM', ([m, tuples]) => {
    const vtom = 1n << 39n
    const r = mirror.plan({
      map: m.map,
      scheme: { kind: 'tuples', tuples },
      platform: { ...sev48, vtom: vtom as Gpa, kind: 'sev-snp' },
      helper: { vcpus: 1 },
    })
    const moved: MirrorPlan = {
      ...r.plan,
      platform: { ...sev48, vtom: vtom as Gpa, kind: 'sev' },
      slots: r.plan.slots.map((s) =>
        s.source === 'helper' ? { ...s, mirrorGpa: vtom as MirrorGpa } : s,
      ),
    }
    expect(mirror.vtomSplit(moved).map((v) => v.kind)).toEqual(['vtom-private-above'])
  })
})

describe('translation round trips', () => {
  const pageIn = (m: (typeof machines)[number]) => {
    const rams = ramRanges(m.map)
    return fc.nat({ max: rams.length - 1 }).chain((i) => {
      const r = rams[i]!
      return fc.bigInt({ min: r.start, max: r.end - 1n })
    })
  }
  test.prop(
    [
      machineArb.chain((m) =>
        fc.tuple(fc.constant(m), pageIn(m), fc.constantFrom(1n << 32n, 1n << 42n)),
      ),
    ],
    { numRuns: 500 },
  )('main GPA -> mirror GPA -> main GPA (shifted scheme)', ([m, gpa, shift]) => {
    const { plan } = mirror.plan({
      map: m.map,
      scheme: { kind: 'shifted', shift },
      helper: { vcpus: 1 },
    })
    const mirrors = mirror.mirrorGpasOfMain(gpa as Gpa)(plan)
    const ram = O.toUndefined(translate.ramAddrOfGpa(gpa as Gpa)(m.map))!
    // The shifted mapping is always there, at ram_addr_t + shift.
    expect(mirrors).toContain(ram + shift)
    for (const mg of mirrors) {
      expect(mirror.ramAddrOfMirror(mg)(plan)).toEqual(O.some(ram))
      expect(mirror.mainGpasOfMirror(mg)(plan)).toContain(gpa)
    }
  })
  test.prop(
    [machineArb.chain((m) => fc.tuple(fc.constant(m), highTuples(m.map), fc.nat(), fc.nat()))],
    { numRuns: 300 },
  )('main GPA -> mirror GPA -> main GPA (tuples)', ([m, tuples, pick, off]) => {
    const { plan } = mirror.plan({ map: m.map, scheme: { kind: 'tuples', tuples } })
    const t = tuples[pick % tuples.length]!
    const gpa = (t.mainGpa + (BigInt(off) % t.length)) as Gpa
    const mg = (t.mirrorGpa + (gpa - t.mainGpa)) as MirrorGpa
    expect(mirror.mirrorGpasOfMain(gpa)(plan)).toContain(mg)
    expect(mirror.mainGpasOfMirror(mg)(plan)).toContain(gpa)
  })
})

describe('BAR moves', () => {
  const bars = ['vga.vram', 'virtio-net-pci.rom', 'vga.mmio'].map((n) =>
    right(topology.resolveRef(n)(q35.topology)),
  )
  const moveArb = fc.tuple(
    fc.constantFrom(...bars),
    fc.oneof(
      fc.bigInt({ min: 0xe0000n, max: 0xfebffn }).map((p) => p << 12n),
      fc.bigInt({ min: 0x800n, max: 0x8ffn }).map((p) => p << 24n),
      fc.constantFrom(0x100000n, 0x1ff00000n, 0xfd000000n, 0xa0000n),
    ),
  )
  const movedMap = (id: number, addr: bigint): AddressMap =>
    right(
      translate.make({
        topology: right(topology.setAddress(id as never, addr)(q35.topology)),
        ramList: q35.ramList,
      }),
    )

  test.prop([moveArb], { numRuns: 150 })(
    'scheme-1 shifted mappings do not change; only identity slots are touched',
    ([bar, addr]) => {
      const { plan } = mirror.plan({
        map: q35.map,
        scheme: { kind: 'shifted', shift: 1n << 42n },
        platform: sev48,
        helper: { vcpus: 1 },
      })
      const after = movedMap(bar.id, addr)
      const r = mirror.afterMove(after, { kind: 'shifted', shift: 1n << 42n })(plan)
      const shiftedIds = new Set(
        plan.slots.filter((s) => s.source !== 'identity').map((s) => s.slot),
      )
      expect(r.ops.filter((o) => o.size === 0n && shiftedIds.has(o.slot))).toEqual([])
      const shifted = (p: MirrorPlan) =>
        p.slots.filter((s) => s.source === 'shifted').map(({ slot: _slot, ...s }) => s)
      expect(shifted(r.plan)).toEqual(shifted(plan))
      // And translation by ram_addr_t is unchanged for every block.
      for (const b of q35.ramList.blocks)
        expect(
          mirror
            .mirrorGpasOfRamAddr(b.offset)(r.plan)
            .filter((g) => g >= 1n << 42n),
        ).toEqual(
          mirror
            .mirrorGpasOfRamAddr(b.offset)(plan)
            .filter((g) => g >= 1n << 42n),
        )
    },
  )

  // Tuples over both RAM and the BARs' usual places, so that moves hit some of them.
  const tupleArb = fc.array(
    fc.tuple(
      fc.constantFrom(
        0xc0000n,
        0xe0000n,
        0x100000n,
        0xfd000000n,
        0xfdff0000n,
        0xfe040000n,
        0x1fff0000n,
      ),
      fc.bigInt({ min: 1n, max: 32n }),
    ),
    { minLength: 1, maxLength: 5 },
  )
  test.prop([moveArb, tupleArb], { numRuns: 150 })(
    'scheme-2 invalidation is exact and the repair maps what the main GPA maps now',
    ([bar, addr], raw) => {
      const tuples: Tuple[] = raw.map(([g, n], i) => ({
        mainGpa: g as Gpa,
        length: n << 12n,
        mirrorGpa: ((1n << 40n) + (BigInt(i) << 30n)) as MirrorGpa,
      }))
      const before = mirror.plan({ map: q35.map, scheme: { kind: 'tuples', tuples } })
      const after = movedMap(bar.id, addr)
      const r = mirror.afterMove(after, { kind: 'tuples', tuples })(before.plan)
      tuples.forEach((t, i) => {
        const changedPages: bigint[] = []
        for (let g: bigint = t.mainGpa; g < t.mainGpa + t.length; g += 0x1000n) {
          const a = translate.ramAddrOfGpa(g as Gpa)(q35.map)
          const b = translate.ramAddrOfGpa(g as Gpa)(after)
          if (!(O.isNone(a) && O.isNone(b)) && !(O.isSome(a) && O.isSome(b) && a.value === b.value))
            changedPages.push(g)
        }
        const inv = r.invalidated.find((x) => x.tuple === i)
        expect(inv === undefined).toBe(changedPages.length === 0)
        const fromRanges = (inv?.changed ?? []).flatMap((c) => {
          const out: bigint[] = []
          for (let g: bigint = c.start; g < c.end; g += 0x1000n) out.push(g)
          return out
        })
        expect(fromRanges).toEqual(changedPages)
        // After the repair, each page of a tuple that is RAM-backed throughout reads what the main GPA maps now.
        const throughout = [...Array(Number(t.length >> 12n)).keys()].every((k) =>
          O.isSome(translate.ramAddrOfGpa((t.mainGpa + (BigInt(k) << 12n)) as Gpa)(after)),
        )
        for (let k = 0n; k < t.length; k += 0x1000n) {
          const now = translate.ramAddrOfGpa((t.mainGpa + k) as Gpa)(after)
          const seen = mirror.ramAddrOfMirror((t.mirrorGpa + k) as MirrorGpa)(r.plan)
          if (throughout) expect(seen).toEqual(now)
          else expect(O.isNone(seen)).toBe(true)
        }
        expect(r.violations.some((v) => v.kind === 'tuple-not-ram' && v.tuple === i)).toBe(
          !throughout,
        )
      })
    },
  )
})

describe('helper placement', () => {
  it('stays at the top of the usable width, clear of the 64-bit PCI hole', () => {
    const r = mirror.plan({
      map: q35.map,
      scheme: { kind: 'shifted', shift: 1n << 42n },
      platform: sev48,
      helper: { vcpus: 4 },
    })
    const h = r.plan.helper!
    expect(h.base + h.size).toBe(1n << 47n)
    expect(h.mailboxes).toHaveLength(4)
    for (const v of r.plan.guestVisible)
      expect(h.base >= v.end || h.base + h.size <= v.start).toBe(true)
  })
  it('moves below anything in its way', () => {
    const top = 1n << 36n
    const h = right(mirror.placeHelper({ vcpus: 1 }, top, [{ start: top - 0x100000n, end: top }]))
    expect(h.base + h.size).toBeLessThanOrEqual(top - 0x100000n)
    expect(h.base % 0x200000n).toBe(0n)
    const none = mirror.placeHelper({ vcpus: 1 }, 0x400000n, [{ start: 0n, end: 0x400000n }])
    expect(E.isLeft(none) && none.left.kind).toBe('helper-no-room')
  })
  it('is backed by a RAMBlock of its own, allocated after the guest’s', () => {
    const r = mirror.plan({ map: q35.map, scheme: { kind: 'shifted' }, helper: { vcpus: 1 } })
    const hs = r.plan.slots.find((s) => s.source === 'helper')!
    const blocks = q35.ramList.blocks
    for (const b of blocks)
      expect(hs.ramAddr >= b.offset + b.maxLength || hs.ramAddr + hs.size <= b.offset).toBe(true)
    expect(hs.ramAddr % 0x40000n).toBe(0n)
  })
})

describe('bad input is a value, never a throw', () => {
  const u64 = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.constantFrom(0n, 0x1000n, (1n << 64n) - 0x1000n, (1n << 64n) - 1n),
  )
  test.prop(
    [
      fc.array(fc.record({ mainGpa: u64, length: u64, mirrorGpa: u64 }), { maxLength: 5 }),
      fc.boolean(),
    ],
    { numRuns: 500 },
  )('arbitrary tuples: each one becomes slots or is reported', (raw, snpOn) => {
    const tuples = raw as unknown as Tuple[]
    const r = mirror.plan({
      map: q35.map,
      scheme: { kind: 'tuples', tuples },
      ...(snpOn ? { platform: snp } : {}),
      helper: { vcpus: 1 },
    })
    tuples.forEach((t, i) => {
      const slots = r.plan.slots.filter((s) => s.tuple === i)
      const reported = r.violations.some((v) => 'tuple' in v && v.tuple === i)
      expect(slots.length > 0 !== reported).toBe(true)
      if (slots.length > 0) expect(slots.reduce((n, s) => n + s.size, 0n)).toBe(t.length)
    })
    for (const v of r.violations) expect(v.message.length).toBeGreaterThan(10)
  })
})
