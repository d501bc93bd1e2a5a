// Confidential memory: the platform rules against an independent predicate, guest_memfd
// conversions and virtio-mem plug/unplug against naive models (plain Sets of pages and
// units), listeners that replay notifications against the final state, and migration's
// page classes against a page-by-page reference.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { mtree, page, translate, ramblock } from '../../src/index.js'
import * as confidential from '../../src/confidential/index.js'
import * as migration from '../../src/migration/index.js'
import type { Gpa, RamAddr } from '../../src/addresses/kinds.js'
import type { DiscardEvent, DiscardManager } from '../../src/confidential/discard.js'

const right = <A>(e: E.Either<unknown, A>): A => {
  if (E.isLeft(e))
    throw new Error(JSON.stringify(e.left, (_, v) => (typeof v === 'bigint' ? String(v) : v)))
  return e.right
}

describe('platform', () => {
  test.prop(
    [
      fc.constantFrom('sev', 'sev-es', 'sev-snp'),
      fc.integer({ min: -2, max: 70 }),
      fc.integer({ min: -2, max: 70 }),
      fc.integer({ min: 28, max: 56 }),
      fc.option(fc.bigInt({ min: 0n, max: 1n << 53n }), { nil: undefined }),
    ],
    { numRuns: 2000 },
  )(
    'make accepts exactly the possible combinations',
    (kind, cbitpos, reducedPhysBits, maxPhysAddr, vtom) => {
      const width = maxPhysAddr - reducedPhysBits
      const possible =
        maxPhysAddr >= 32 &&
        maxPhysAddr <= 52 &&
        reducedPhysBits >= 1 &&
        reducedPhysBits < maxPhysAddr &&
        cbitpos >= 0 &&
        cbitpos <= 63 &&
        cbitpos >= width &&
        (vtom === undefined ||
          (kind === 'sev-snp' && vtom > 0n && vtom % 4096n === 0n && vtom < 1n << BigInt(width)))
      const r = confidential.platform.make({
        kind,
        cbitpos,
        reducedPhysBits,
        maxPhysAddr,
        ...(vtom === undefined ? {} : { vtom: vtom as Gpa }),
      })
      expect(E.isRight(r)).toBe(possible)
      if (E.isRight(r)) {
        const json = confidential.platform.PlatformCodec.encode(r.right)
        expect(
          confidential.platform.PlatformCodec.decode(JSON.parse(JSON.stringify(json))),
        ).toEqual(r)
      } else expect(r.left.message.length).toBeGreaterThan(10)
    },
  )
  it('names the field at fault', () => {
    const r = confidential.platform.make({
      kind: 'sev',
      cbitpos: 51,
      reducedPhysBits: 0,
      maxPhysAddr: 52,
    })
    expect(E.isLeft(r) && r.left.field).toBe('reducedPhysBits')
  })
})

// A machine with guest_memfd RAM below a hole and above it, and a plain ROM.
const TREE = `address-space: memory
  0000000000000000-ffffffffffffffff (prio 0, i/o): system
    0000000000000000-000000000009ffff (prio 0, ram): alias low @ram 0000000000000000-000000000009ffff
    00000000000a0000-00000000000bffff (prio 1, i/o): vga-lowmem
    00000000000c0000-00000000000dffff (prio 1, rom): rom
    0000000000100000-00000000003fffff (prio 0, ram): alias high @ram 0000000000100000-00000000003fffff

memory-region: ram
  0000000000000000-00000000003fffff (prio 0, ram): ram

`
const list = pipe(
  E.right(ramblock.empty()),
  E.chain(ramblock.add({ idstr: 'ram', usedLength: 0x400000n, flags: { guestMemfd: true } })),
  E.chain(ramblock.add({ idstr: 'rom', usedLength: 0x20000n })),
)
const topo = right(mtree.parse(TREE))
const rl = right(list)
const map = right(translate.make({ topology: topo, ramList: rl }))
const ram = rl.blocks.find((b) => b.idstr === 'ram')!

describe('guest_memfd attributes against a page-set model', () => {
  const conv = fc.record({
    gpa: fc.oneof(
      fc.nat({ max: 0x400 }).map((p) => BigInt(p) << 12n),
      fc.bigInt({ min: 0n, max: 0x400000n }),
    ),
    size: fc.oneof(
      fc.nat({ max: 0x40 }).map((p) => BigInt(p) << 12n),
      fc.bigInt({ min: 0n, max: 0x3000n }),
    ),
    toPrivate: fc.boolean(),
  })
  test.prop([fc.array(conv, { maxLength: 30 })], { numRuns: 300 })('conversions', (cs) => {
    let attrs = right(confidential.memoryAttributes.initial(rl))
    // Model: private ram_addr_t pages; every page of the guest_memfd block starts private.
    const priv = new Set<bigint>()
    for (let p = 0n; p < ram.usedLength; p += 0x1000n) priv.add(ram.offset + p)
    for (const c of cs) {
      const r = confidential.memoryAttributes.convert({
        gpa: c.gpa as Gpa,
        size: c.size,
        toPrivate: c.toPrivate,
      })(map)(attrs)
      // The model's verdict, page by page through translate().
      const pages: bigint[] = []
      let verdict: 'ok' | 'noop' | string = 'ok'
      if (c.size === 0n) verdict = 'empty'
      else if (c.gpa % 0x1000n !== 0n || c.size % 0x1000n !== 0n) verdict = 'unaligned'
      else {
        const first = translate.translationOfGpa(c.gpa as Gpa)(map)
        if (first._tag !== 'Ram')
          verdict = c.toPrivate
            ? first._tag === 'Unassigned'
              ? 'unassigned'
              : 'not-guest-memfd'
            : 'noop'
        else if (first.block.idstr !== 'ram') verdict = 'not-guest-memfd'
        else
          for (let g = c.gpa; g < c.gpa + c.size; g += 0x1000n) {
            const t = translate.translationOfGpa(g as Gpa)(map)
            if (t._tag !== 'Ram' || t.ramAddr !== first.ramAddr + (g - c.gpa)) {
              verdict = 'spans-regions'
              break
            }
            pages.push(t.ramAddr)
          }
      }
      if (verdict === 'ok' || verdict === 'noop') {
        expect(E.isRight(r)).toBe(true)
        for (const p of pages)
          if (c.toPrivate) priv.add(p)
          else priv.delete(p)
        attrs = right(r)
      } else {
        expect(E.isLeft(r) && r.left.reason).toBe(verdict)
      }
    }
    for (let p = 0n; p < 0x500000n; p += 0x1000n)
      expect(confidential.memoryAttributes.isPrivate(p as RamAddr)(attrs)).toBe(priv.has(p))
  })
  it('HVA translation answers "private" for private pages', () => {
    const attrs = right(confidential.memoryAttributes.initial(rl))
    const t = translate.translationOfGpa(0x1000n as Gpa)(map)
    expect(confidential.memoryAttributes.hostAccess(attrs)(t)._tag).toBe('Private')
    expect(
      confidential.memoryAttributes.hostAccess(attrs)(
        translate.translationOfGpa(0xc0000n as Gpa)(map),
      )._tag,
    ).toBe('Shared')
    expect(
      confidential.memoryAttributes.hostAccess(attrs)(
        translate.translationOfGpa(0xa0000n as Gpa)(map),
      )._tag,
    ).toBe('NotRam')
  })
})

describe('virtio-mem discard manager against a unit-set model', () => {
  const UNIT = 0x200000n
  const UNITS = 32
  const listeners = [
    { name: 'vfio', start: 0n, end: BigInt(UNITS) * UNIT, doubleDiscard: true },
    { name: 'part', start: 3n * UNIT + 0x1000n, end: 20n * UNIT, doubleDiscard: false },
  ]
  const event: fc.Arbitrary<DiscardEvent> = fc.oneof(
    fc.record({
      _tag: fc.constantFrom('Plug' as const, 'Unplug' as const),
      offset: fc.nat({ max: UNITS + 2 }).map((u) => BigInt(u) * UNIT),
      size: fc.nat({ max: 6 }).map((n) => BigInt(n) * UNIT),
    }),
    fc.record({
      _tag: fc.constantFrom('Plug' as const, 'Unplug' as const),
      offset: fc.bigInt({ min: 0n, max: BigInt(UNITS) * UNIT }),
      size: fc.bigInt({ min: 0n, max: 4n * UNIT }),
    }),
    fc.constant({ _tag: 'UnplugAll' as const }),
  )
  test.prop([fc.array(event, { maxLength: 40 }), fc.nat({ max: UNITS })], { numRuns: 500 })(
    'responses and state follow virtio-mem; each listener ends up with exactly the populated part of its section',
    (events, requested) => {
      const d0: DiscardManager = right(
        confidential.discard.make({
          block: 'mem0',
          blockSize: UNIT,
          usableSize: BigInt(UNITS) * UNIT,
          requestedSize: BigInt(requested) * UNIT,
          listeners,
        }),
      )
      const r = confidential.discard.fold(events)(d0)
      const plugged = new Set<number>()
      const seen = new Map(listeners.map((l) => [l.name, new Set<bigint>()]))
      events.forEach((ev, i) => {
        let expected: string
        if (ev._tag === 'UnplugAll') {
          plugged.clear()
          expected = 'ACK'
        } else {
          const lo = Number(ev.offset / UNIT)
          const n = Number(ev.size / UNIT)
          const aligned = ev.offset % UNIT === 0n && ev.size % UNIT === 0n && ev.size > 0n
          const inside =
            ev.offset + ev.size <= BigInt(UNITS) * UNIT && ev.offset < BigInt(UNITS) * UNIT
          const all = [...Array(n).keys()].map((k) => lo + k)
          if (!aligned || !inside) expected = 'ERROR'
          else if (
            ev._tag === 'Plug' &&
            (plugged.size + n) * Number(UNIT) > requested * Number(UNIT)
          )
            expected = 'NACK'
          else if (
            ev._tag === 'Plug' ? all.some((u) => plugged.has(u)) : all.some((u) => !plugged.has(u))
          )
            expected = 'ERROR'
          else {
            expected = 'ACK'
            for (const u of all)
              if (ev._tag === 'Plug') plugged.add(u)
              else plugged.delete(u)
          }
        }
        expect(r.responses[i]).toBe(expected)
      })
      // Replay every notification into per-listener page sets (4 KiB granules).
      for (const n of r.notifications) {
        const set = seen.get(n.listener)!
        for (let p = n.start; p < n.end; p += 0x1000n)
          if (n.kind === 'populate') {
            expect(set.has(p)).toBe(false) // never populated twice
            set.add(p)
          } else set.delete(p)
      }
      for (const l of listeners) {
        const want = new Set<bigint>()
        for (const run of confidential.discard.populated(l.start, l.end)(r.state))
          for (let p = run.start; p < run.end; p += 0x1000n) want.add(p)
        expect([...seen.get(l.name)!].sort()).toEqual([...want].sort())
      }
      for (let u = 0; u < UNITS; u++)
        expect(
          confidential.discard.isPopulated(BigInt(u) * UNIT, BigInt(u) * UNIT + 1n)(r.state),
        ).toBe(plugged.has(u))
      expect(confidential.discard.pluggedSize(r.state)).toBe(BigInt(plugged.size) * UNIT)
    },
  )
})

describe('migration page classes', () => {
  it('a precopy pass sends private pages encrypted, shared ones plain, and skips discarded, helper and constant pages', () => {
    const l = right(
      pipe(
        E.right(ramblock.empty()),
        E.chain(ramblock.add({ idstr: 'ram', usedLength: 0x800000n, flags: { guestMemfd: true } })),
        E.chain(ramblock.add({ idstr: 'mh.ram', usedLength: 0x40000n })),
        E.chain(ramblock.add({ idstr: 'mem0', usedLength: 0x400000n })),
      ),
    )
    const t = right(
      mtree.parse(
        'address-space: memory\n  0000000000000000-00000000007fffff (prio 0, ram): ram\n\n',
      ),
    )
    const m = right(translate.make({ topology: t, ramList: l }))
    let attrs = right(confidential.memoryAttributes.initial(l))
    attrs = right(
      confidential.memoryAttributes.convert({
        gpa: 0x10000n as Gpa,
        size: 0x4000n,
        toPrivate: false,
      })(m)(attrs),
    )
    const mem0 = l.blocks.find((b) => b.idstr === 'mem0')!
    const mh = l.blocks.find((b) => b.idstr === 'mh.ram')!
    const d = confidential.discard.apply({ _tag: 'Plug', offset: 0x200000n, size: 0x200000n })(
      right(
        confidential.discard.make({ block: 'mem0', blockSize: 0x200000n, usableSize: 0x400000n }),
      ),
    ).state
    const constant = [{ start: 0x7fc000n as RamAddr, end: 0x800000n }]
    const c = right(
      confidential.classify.classification({
        ramList: l,
        attributes: attrs,
        discard: [d],
        helperBlocks: ['mh.ram'],
        constant,
      }),
    )
    const mb = right(migration.bitmap.start()(l))
    const pass = right(confidential.classify.precopyPass(c)(mb))
    // Reference, page by page.
    const enc: number[] = []
    const plain: number[] = []
    let skipped = 0
    for (const b of l.blocks)
      for (let off = 0n; off < b.usedLength; off += 0x1000n) {
        const addr = b.offset + off
        const page = Number(addr >> 12n)
        const isHelper = b.idstr === 'mh.ram'
        const isConst = addr >= 0x7fc000n && addr < 0x800000n
        const isDiscarded = b.idstr === 'mem0' && off < 0x200000n
        if (isHelper || isConst || isDiscarded) skipped++
        else if (b.idstr === 'ram' && !(addr >= 0x10000n && addr < 0x14000n)) enc.push(page)
        else plain.push(page)
      }
    expect([...pass.encrypted].sort((a, b) => a - b)).toEqual(enc.sort((a, b) => a - b))
    expect([...pass.plain].sort((a, b) => a - b)).toEqual(plain.sort((a, b) => a - b))
    expect(pass.skipped).toBe(skipped)
    expect(migration.bitmap.remaining(pass.bitmap)).toBe(0)
    expect(mem0.offset > 0n && mh.offset > 0n).toBe(true)
    // The helper's pages never count as dirty-trackable guest memory.
    expect(confidential.classify.classOf(page.indexOf(page.PAGE_4K)(mh.offset))(c)).toEqual({
      _tag: 'Skip',
      reason: 'helper',
    })
  })
})
