/**
 * Page ranges of a bitmap: setting and clearing `[start, end)` (QEMU's `bitmap_set` /
 * `bitmap_clear`, as `cpu_physical_memory_set_dirty_range` marks a written range dirty) and
 * counting set pages (`bitmap_count_one`, `bitmap_count_one_with_offset`). Whole subtrees
 * inside the range become the shared all-set or all-clear node, so these cost time and
 * memory in proportion to the tree's height, not the range's length.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import { isRange, rangeOutOfBounds, type PageRangeOutOfBounds } from './errors.js'
import { countNode, countRangeNode, fillNode, heapOf, heightOf, rootOf, withRoot } from './tree.js'

/** `[start, end)` if it is a range of `bm`'s pages. */
export const checkRange = (
  start: number,
  end: number,
  bm: PageBitmap,
): E.Either<PageRangeOutOfBounds, PageBitmap> =>
  isRange(start, end, bm.pages) ? E.right(bm) : E.left(rangeOutOfBounds(start, end, bm.pages))

const fill = (bm: PageBitmap, start: number, end: number, value: boolean): PageBitmap =>
  withRoot(bm, fillNode(heapOf(bm), rootOf(bm), heightOf(bm), 0, start, end, value))

/**
 * `bm` with pages `[start, end)` set: QEMU's `bitmap_set`, as
 * `cpu_physical_memory_set_dirty_range` (include/exec/ram_addr.h) dirties a written range.
 *
 * @example
 * import { bitmap, page, range, RamAddr, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // a 2 MiB write at 1 GiB: 512 pages from page 262144
 * const write = range.unsafeFromBounds(RamAddr.unsafe(0x40000000n), 0x40200000n)
 * const { start, end } = page.pagesTouched(page.PAGE_4K)(write)
 * const bm = pipe(bitmap.empty(2 ** 20), either.chain(bitmap.setRange(start, end)))
 * assert.deepEqual(pipe(bm, either.map(bitmap.runs)), either.right([{ start: 262144, end: 262656 }]))
 * const p = PageIndex.unsafe
 * assert.ok(either.isLeft(pipe(bm, either.chain(bitmap.setRange(p(5), p(2 ** 20 + 1))))))
 */
export const setRange =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, PageBitmap> =>
    E.map((b: PageBitmap) => fill(b, start, end, true))(checkRange(start, end, bm))

/**
 * `bm` with pages `[start, end)` clear: QEMU's `bitmap_clear`, as
 * `cpu_physical_memory_test_and_clear_dirty` clears a range it hands to a client.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.full(4096), either.chain(bitmap.clearRange(p(100), p(4000))))
 * assert.deepEqual(pipe(bm, either.map(bitmap.count)), either.right(196))
 */
export const clearRange =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, PageBitmap> =>
    E.map((b: PageBitmap) => fill(b, start, end, false))(checkRange(start, end, bm))

/**
 * The number of set pages (QEMU `bitmap_count_one`, as migration counts dirty pages in
 * `migration_bitmap_sync`).
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(either.map(bitmap.count)(bitmap.full(2 ** 32)), either.right(2 ** 32))
 */
export const count = (bm: PageBitmap): number => countNode(rootOf(bm), heightOf(bm))

/**
 * The number of set pages in `[start, end)` (QEMU `bitmap_count_one_with_offset`), or why
 * the range is not within the bitmap.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(10000), either.chain(bitmap.setRange(p(60), p(70))))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.countRange(p(64), p(1000)))), either.right(6))
 */
export const countRange =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, number> =>
    E.map((b: PageBitmap) => countRangeNode(rootOf(b), heightOf(b), 0, start, end))(
      checkRange(start, end, bm),
    )
