/**
 * fast-check arbitraries for RAM lists, valid by construction: blocks with unique idstrs
 * and page-multiple sizes (some resizeable, some huge-page backed) allocated one by one
 * through `ramList.add`, so offsets follow QEMU's allocator.
 *
 * @example
 * import { ramLists } from 'ramaddr/arbitraries'
 * import fc from 'fast-check'
 * // No two blocks ever share ram_addr_t space.
 * fc.assert(fc.property(ramLists.ramList, (l) => l.blocks.every((a, i) => l.blocks.every((b, j) =>
 *   i === j || a.offset + a.maxLength <= b.offset || b.offset + b.maxLength <= a.offset))), { numRuns: 100 })
 *
 * @module
 */
import fc from 'fast-check'
import * as E from 'fp-ts/lib/Either.js'
import { PAGE_2M, PAGE_4K } from '../addresses/page.js'
import { add, empty, type RamList, type RAMBlockSpec } from '../ramblock/ram-list.js'

/** One block's spec: a used length in pages, maybe a larger max, maybe 2 MiB pages. */
export const blockSpec = (idstr: string): fc.Arbitrary<RAMBlockSpec> =>
  fc
    .record({
      pages: fc.integer({ min: 1, max: 0x40000 }),
      extra: fc.option(fc.integer({ min: 0, max: 0x400 }), { nil: undefined }),
      huge: fc.boolean(),
    })
    .map(({ pages, extra, huge }) => {
      const page = huge ? PAGE_2M : PAGE_4K
      const unit = huge ? 0x200000n : 0x1000n
      const used = BigInt(huge ? Math.max(1, pages >> 9) : pages) * unit
      return {
        idstr,
        usedLength: used,
        ...(extra === undefined ? {} : { maxLength: used + BigInt(extra) * unit }),
        pageSize: page,
      }
    })

/** A RAM list of 1 to `max` blocks, allocated in order. */
export const ramListOf = (max = 12): fc.Arbitrary<RamList> =>
  fc
    .integer({ min: 1, max })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => blockSpec(`block${i}`))))
    .map((specs) =>
      specs.reduce((l, s) => {
        const r = add(s)(l)
        return E.isRight(r) ? r.right : l
      }, empty()),
    )

/** A RAM list of up to 12 blocks. */
export const ramList: fc.Arbitrary<RamList> = ramListOf()
