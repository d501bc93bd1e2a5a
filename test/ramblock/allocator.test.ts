// addAll keeps the allocator's state between blocks; it must place every block exactly
// where find_ram_offset, called afresh before each add (findRamOffset, checked against
// QEMU's own allocations in ram-list.test.ts), places it, and keep QEMU's list order.
import { describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { findRamOffset } from '../../src/ramblock/find-ram-offset.js'
import {
  addAll,
  empty,
  offsetAlignment,
  remove,
  type RamList,
} from '../../src/ramblock/ram-list.js'
import type { RAMBlock } from '../../src/ramblock/ramblock.js'

/** The model: one find_ram_offset per block over the list so far, inserted as QEMU does. */
const model = (list: RamList, sizes: ReadonlyArray<bigint>, first: number): RamList | undefined => {
  let blocks: RAMBlock[] = [...list.blocks]
  for (const [i, max] of sizes.entries()) {
    const off = findRamOffset(offsetAlignment(list), max)(blocks)
    if (O.isNone(off)) return undefined
    const b = { idstr: `b${first + i}`, offset: off.value, maxLength: max } as unknown as RAMBlock
    const at = blocks.findIndex((x) => x.maxLength < max)
    blocks = at < 0 ? [...blocks, b] : [...blocks.slice(0, at), b, ...blocks.slice(at)]
  }
  return { ...list, blocks }
}

const shape = (l: RamList) => l.blocks.map((b) => [b.idstr, b.offset, b.maxLength])

/** Sizes that collide often: a few page-multiples, some equal, a few huge. */
const size = fc.oneof(
  { arbitrary: fc.constant(0x40000n), weight: 3 },
  fc.constantFrom(0x1000n, 0x20000n, 0x40000n, 0x41000n, 0x200000n, 0x8000000n),
  fc.bigInt({ min: 1n, max: 1n << 24n }).map((n) => n * 0x1000n),
  fc.constantFrom(1n << 62n, (1n << 63n) - 0x1000n),
)

describe('addAll against find_ram_offset per block', () => {
  test.prop(
    [
      fc.array(size, { maxLength: 60 }),
      fc.array(size, { maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 15 }),
    ],
    { numRuns: Number(process.env.ALLOC_RUNS ?? 200) },
  )('same offsets and list order, also after removals', (firstSizes, laterSizes, removals) => {
    const spec = (s: bigint, i: number) => ({ idstr: `b${i}`, usedLength: s })
    const a = addAll(firstSizes.map(spec))(empty())
    const m = model(empty(), firstSizes, 0)
    if (m === undefined) {
      expect(E.isLeft(a)).toBe(true)
      return
    }
    expect(E.isRight(a)).toBe(true)
    if (E.isLeft(a)) return
    expect(shape(a.right)).toEqual(shape(m))
    // free some blocks (holes QEMU's best fit may reuse), then add more
    let list = a.right
    for (const r of removals) {
      const victim = list.blocks[r % Math.max(1, list.blocks.length)]
      if (victim !== undefined) list = E.getOrElse(() => list)(remove(victim.idstr)(list))
    }
    const later = addAll(laterSizes.map((s, i) => spec(s, 1000 + i)))(list)
    const m2 = model(list, laterSizes, 1000)
    if (m2 === undefined) expect(E.isLeft(later)).toBe(true)
    else expect(E.isRight(later) && shape(later.right)).toEqual(shape(m2))
  })

  it('two equal best gaps: the candidate of the block first in list order wins', () => {
    // A, X1, B, X2, C of one size; freeing X1 and X2 leaves equal holes after A and after B
    const q = 0x40000n
    const placed = pipe(
      addAll(['A', 'X1', 'B', 'X2', 'C'].map((idstr) => ({ idstr, usedLength: q })))(empty()),
      E.chain(remove('X1')),
      E.chain(remove('X2')),
      E.chain(addAll([{ idstr: 'D', usedLength: q }])),
      E.map((l) => l.blocks.map((b) => [b.idstr, b.offset])),
    )
    expect(placed).toEqual(
      E.right([
        ['A', 0n],
        ['B', 2n * q],
        ['C', 4n * q],
        ['D', q],
      ]),
    )
  })
})
