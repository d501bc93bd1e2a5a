/**
 * fast-check arbitraries for what KVM hands back: `KVM_GET_DIRTY_LOG` bitmaps (little-endian
 * 64-bit words, bit i = the slot's first GFN + i, no bits past the slot's end) that are
 * sparse, dense or runs, and dirty-ring entries for a set of slots.
 *
 * @example
 * import { kvm as kvmArb } from 'ramaddr/arbitraries'
 * import fc from 'fast-check'
 * fc.assert(fc.property(kvmArb.dirtyLog(100), (words) => words.length === 2 && (words[1] >> 36n) === 0n), { numRuns: 100 })
 *
 * @module
 */
import fc from 'fast-check'
import { PageIndex } from '../addresses/kinds.js'
import type { DirtyGfn } from '../kvm/kernel-dirty.js'
import { KVM_DIRTY_GFN_F_DIRTY } from '../kvm/kernel-dirty.js'

const MASK64 = (1n << 64n) - 1n

/** The dirty pages of a slot of `pages` pages, as page indexes. */
export const dirtyPages = (pages: number): fc.Arbitrary<ReadonlyArray<PageIndex>> =>
  (pages === 0
    ? fc.constant([])
    : fc.oneof(
        fc.uniqueArray(fc.nat({ max: pages - 1 }), { maxLength: Math.min(pages, 64) }),
        fc
          .array(fc.tuple(fc.nat({ max: pages - 1 }), fc.integer({ min: 1, max: 256 })), {
            maxLength: 8,
          })
          .map((runs) => [
            ...new Set(
              runs.flatMap(([s, n]) =>
                Array.from({ length: Math.min(n, pages - s) }, (_, k) => s + k),
              ),
            ),
          ]),
        fc.constant(Array.from({ length: pages }, (_, i) => i)),
      )
  ).map((ps: ReadonlyArray<number>) => ps.map(PageIndex.unsafe))

/** `KVM_GET_DIRTY_LOG` words for a slot of `pages` pages. */
export const dirtyLog = (pages: number): fc.Arbitrary<BigUint64Array> =>
  dirtyPages(pages).map((ps) => {
    const words = new BigUint64Array(Math.ceil(pages / 64))
    for (const p of ps)
      words[p >> 6] = ((words[p >> 6] as bigint) | (1n << BigInt(p & 63))) & MASK64
    return words
  })

/** Dirty-ring entries (flag DIRTY) for the given `(slot id, pages)` slots of address space `asId`. */
export const ringEntries = (
  slots: ReadonlyArray<{ readonly slot: number; readonly pages: number }>,
  asId = 0,
): fc.Arbitrary<ReadonlyArray<DirtyGfn>> =>
  slots.length === 0
    ? fc.constant([])
    : fc.array(
        fc.constantFrom(...slots).chain((s) =>
          fc.nat({ max: Math.max(0, s.pages - 1) }).map((offset) => ({
            flags: KVM_DIRTY_GFN_F_DIRTY,
            slot: (asId << 16) | s.slot,
            offset: PageIndex.unsafe(offset),
          })),
        ),
        { maxLength: 200 },
      )
