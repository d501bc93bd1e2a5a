import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { PageIndex, RamAddr, Size } from '../../src/addresses/kinds.js'
import * as mig from '../../src/migration/migration-bitmap.js'
import { estimate } from '../../src/migration/convergence.js'
import * as memory from '../../src/dirty/dirty-memory.js'
import * as ramList from '../../src/ramblock/ram-list.js'
import { lastRamPage } from '../../src/ramblock/ram-list.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

// pc.ram 1 MiB, a resizeable blob with used < max, and a small ROM: QEMU's layout rules
const list = must(
  ramList.addAll([
    { idstr: 'pc.ram', usedLength: 0x100000n },
    { idstr: '/rom@etc/acpi/tables', usedLength: 0x20000n, maxLength: 0x80000n },
    { idstr: 'pc.bios', usedLength: 0x40000n },
  ])(ramList.empty()),
)
const usedPages = new Set<number>()
for (const b of list.blocks)
  for (let p = Number(b.offset >> 12n); p < Number((b.offset + b.usedLength) >> 12n); p++)
    usedPages.add(p)
const allPages = Number(lastRamPage(list))
// QEMU's send order, from the specs above (not from the list): descending max_length
// (pc.ram 1 MiB, the blob's 512 KiB, pc.bios 256 KiB), pages ascending within a block.
const SEND_ORDER = ['pc.ram', '/rom@etc/acpi/tables', 'pc.bios']
const rankOf = (p: number): number => {
  const b = list.blocks.find(
    (x) => p >= Number(x.offset >> 12n) && p < Number((x.offset + x.maxLength) >> 12n),
  )!
  return SEND_ORDER.indexOf(b.idstr) * 2 ** 32 + p
}
const bySendOrder = (a: number, b: number): number => rankOf(a) - rankOf(b)

describe('migration bitmap (properties against a Set model)', () => {
  test.prop(
    [
      fc.array(fc.array(fc.nat(allPages - 1), { maxLength: 80 }), { minLength: 1, maxLength: 5 }),
      fc.nat(7),
    ],
    { numRuns: 1000 },
  )(
    "each round sends exactly the used pages dirtied since the last, in QEMU's send order, minus skipped ones",
    (rounds, skipMod) => {
      let mb = must(mig.start()(list))
      const skip = (p: number) => skipMod > 0 && p % (skipMod + 3) === 0
      // the first pass sends everything in use
      const first = must(mig.sendAll(skip)(mb))
      expect(first.sent).toEqual([...usedPages].filter((p) => !skip(p)).sort(bySendOrder))
      mb = first.bitmap
      expect(mig.remaining(mb)).toBe(0)
      for (const writes of rounds) {
        const dm = writes.reduce(
          (acc, p) =>
            must(
              memory.setDirtyRange(RamAddr.unsafe(BigInt(p) << 12n), Size.unsafe(1n), 0b100)(acc),
            ),
          must(memory.init(allPages)),
        )
        const s = must(mig.sync(dm)(mb))
        const want = [...new Set(writes)].filter((p) => usedPages.has(p)).sort(bySendOrder)
        expect(s.newlyDirty).toBe(want.length)
        expect(mig.remaining(s.bitmap)).toBe(want.length)
        // the global MIGRATION bits of used ranges are taken
        expect(
          memory
            .dirtyPages(2)(s.memory)
            .filter((p) => usedPages.has(p)),
        ).toEqual([])
        // walking with nextDirty visits the same pages as sendAll
        const walked: number[] = []
        let at = { block: 0, page: PageIndex.unsafe(0) }
        let cur = s.bitmap
        for (let d = mig.nextDirty(at, skip)(cur); O.isSome(d); d = mig.nextDirty(at, skip)(cur)) {
          walked.push(d.value.ramPage)
          cur = must(mig.sent(d.value)(cur))
          at = { block: d.value.block, page: PageIndex.unsafe(d.value.page + 1) }
        }
        const sent = must(mig.sendAll(skip)(s.bitmap))
        expect(walked).toEqual(sent.sent)
        expect(sent.sent).toEqual(want.filter((p) => !skip(p)))
        mb = sent.bitmap
      }
    },
  )
})

describe('precopy convergence', () => {
  it('converges when the link outpaces the guest, and not otherwise', () => {
    const base = { initialPages: 1 << 20, bandwidthBytesPerSecond: 1.25e9, downtimeSeconds: 0.3 }
    const slow = estimate({ ...base, dirtyPagesPerSecond: 20_000 })
    expect(slow.converged).toBe(true)
    expect(slow.rounds[0]?.pages).toBe(1 << 20)
    expect(
      slow.rounds.every((r, i) => i === 0 || r.pages < (slow.rounds[i - 1]?.pages ?? Infinity)),
    ).toBe(true)
    expect(slow.downtime <= 0.3).toBe(true)
    expect(estimate({ ...base, dirtyPagesPerSecond: 400_000 }).converged).toBe(false)
  })
  test.prop([
    fc.integer({ min: 1, max: 1 << 22 }),
    fc.integer({ min: 0, max: 1_000_000 }),
    fc.double({ min: 1e6, max: 1e10, noNaN: true }),
  ])('more bandwidth never turns convergence into divergence', (initialPages, rate, bw) => {
    const a = estimate({
      initialPages,
      dirtyPagesPerSecond: rate,
      bandwidthBytesPerSecond: bw,
      downtimeSeconds: 0.3,
    })
    const b = estimate({
      initialPages,
      dirtyPagesPerSecond: rate,
      bandwidthBytesPerSecond: bw * 2,
      downtimeSeconds: 0.3,
    })
    if (a.converged) expect(b.converged).toBe(true)
  })
})
