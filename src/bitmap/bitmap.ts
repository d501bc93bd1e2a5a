/**
 * Persistent page bitmaps: one bit per page of `[0, pages)`, as QEMU keeps one dirty bit
 * per target page of `ram_addr_t` space (`ram_list.dirty_memory`, include/exec/ram_addr.h)
 * and KVM one per page of a memslot (`KVM_GET_DIRTY_LOG`). A bitmap is a value: every
 * update returns a new bitmap that shares all the storage it did not change with the old
 * one, which stays as it was.
 *
 * A page position — a page, a range bound, a search start, a slice offset, every page a
 * bitmap hands back — is a `PageIndex`: a branded number, so a plain number, a `RamAddr` or
 * a `Gfn` given for a page does not compile. `page.indexOf(ps)(ramAddr)` gives the page of a
 * `ram_addr_t`; `PageIndex.make` checks a number, `PageIndex.unsafe` takes one known to be
 * a page. Page counts (a bitmap's `pages`, a run's length, `count`) stay plain numbers. A
 * bitmap's pages are `[0, pages)` with `pages` up to 2^52 (`MAX_PAGES`, the whole 64-bit
 * `ram_addr_t` space in 4 KiB pages). Functions taking a page, a range or a size check it
 * against the bitmap and return an `Either`; none throws. The brand is for the type checker
 * only: a `PageIndex` is the number itself, and nothing checks it per page at run time.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Eq as FpEq } from 'fp-ts/lib/Eq.js'
import type { PageIndex } from '../addresses/kinds.js'
import {
  checkPage,
  checkPages,
  isIndex,
  pageOutOfRange,
  type InvalidPageCount,
  type PageOutOfRange,
} from './errors.js'
import {
  CLEAR,
  LEAF_BITS,
  canonWords,
  child,
  childIndex,
  copyLeaf,
  heightFor,
  newHeap,
  withKid,
  type Heap,
  type Node,
} from './layout.js'
import {
  equalNodes,
  fillNode,
  nodeAt,
  testLeaf,
  heapOf,
  heightOf,
  leafWords,
  nextOf,
  rootOf,
  withRoot,
  wrap,
} from './tree.js'

/**
 * A set of pages of `[0, pages)`: QEMU's dirty bitmap of one client, or KVM's dirty log of
 * one memslot, as an immutable value. Opaque beyond its page count: the storage (a
 * persistent radix tree, docs/bitmap.md) is reached only through this module's functions.
 */
export interface PageBitmap {
  readonly _tag: 'PageBitmap'
  /** The number of pages the bitmap covers (a count): its pages are `[0, pages)`. */
  readonly pages: number
}

/**
 * A bitmap of `pages` pages with none set: QEMU's freshly allocated dirty bitmap
 * (`bitmap_new`). Costs the same for any size: the storage is shared.
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const bm = bitmap.empty(2 ** 30) // a 4 TiB guest in 4 KiB pages
 * assert.ok(either.isRight(bm))
 * assert.equal(bitmap.count(bm.right), 0)
 * assert.ok(either.isLeft(bitmap.empty(-1)))
 */
export const empty = (pages: number): E.Either<InvalidPageCount, PageBitmap> =>
  E.map((n: number) => wrap(n, CLEAR, newHeap()))(checkPages(pages))

/**
 * A bitmap of `pages` pages with all set: QEMU's `bitmap_set(.., 0, pages)` on a new dirty
 * bitmap, as migration starts with every page dirty (`ram_list_init_bitmaps`).
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const bm = bitmap.full(1000)
 * assert.ok(either.isRight(bm))
 * assert.equal(bitmap.count(bm.right), 1000)
 */
export const full = (pages: number): E.Either<InvalidPageCount, PageBitmap> =>
  E.map((e: PageBitmap) =>
    withRoot(e, fillNode(heapOf(e), rootOf(e), heightFor(e.pages), 0, 0, e.pages, true)),
  )(empty(pages))

/**
 * Whether `page` is set (QEMU `test_bit`), or why `page` is not a page of the bitmap.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(4096), either.chain(bitmap.set(p(7))))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.test(p(7)))), either.right(true))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.test(p(8)))), either.right(false))
 * assert.equal(pipe(bm, either.chain(bitmap.test(p(4096))), either.isLeft), true)
 */
export const test =
  (page: PageIndex) =>
  (bm: PageBitmap): E.Either<PageOutOfRange, boolean> =>
    E.map((p: number) => testLeaf(nodeAt(rootOf(bm), heightOf(bm), 0, p), p))(
      checkPage(page, bm.pages),
    )

/**
 * `node` (height `k`) with `page` set to `value`: a new leaf and path, or `node` itself when
 * the page already was. One recursion per level, no path array.
 */
const putIn = (heap: Heap, node: Node, k: number, page: number, value: boolean): Node => {
  if (k > 0) {
    const c = childIndex(page, k)
    const old = child(node, c, k)
    const x = putIn(heap, old, k - 1, page, value)
    return x === old ? node : withKid(node, k, c, x)
  }
  const wi = (page & (LEAF_BITS - 1)) >>> 5
  const bit = 1 << (page & 31)
  const { w, o } = leafWords(node)
  const cur = w[o + wi] as number
  if (((cur & bit) !== 0) === value) return node
  const out = copyLeaf(heap, node)
  out.w[out.o + wi] = value ? cur | bit : cur & ~bit
  return canonWords(out, 0)
}

/** `bm` with `page` set to `value`, or why `page` is not one of its pages. */
const put = (page: number, bm: PageBitmap, value: boolean): E.Either<PageOutOfRange, PageBitmap> =>
  isIndex(page, bm.pages - 1)
    ? E.right(withRoot(bm, putIn(heapOf(bm), rootOf(bm), heightOf(bm), page, value)))
    : E.left(pageOutOfRange(page, bm.pages))

/**
 * `bm` with `page` set (QEMU `set_bit`, as `cpu_physical_memory_set_dirty_flag` marks one
 * page dirty). Copies one 256-byte leaf and the path to it; the rest is shared, and `bm`
 * is unchanged. Setting a page already set returns `bm` itself.
 *
 * @example
 * import { bitmap, page, RamAddr } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const before = bitmap.empty(2 ** 28)
 * assert.ok(either.isRight(before))
 * // the page of ram_addr_t 0x75bcd15000
 * const at = page.indexOf(page.PAGE_4K)
 * const after = bitmap.set(at(RamAddr.unsafe(0x75bcd15000n)))(before.right)
 * assert.ok(either.isRight(after))
 * assert.equal(bitmap.count(after.right), 1)
 * assert.equal(bitmap.count(before.right), 0) // the old value is untouched
 * assert.ok(either.isLeft(bitmap.set(at(RamAddr.unsafe(1n << 40n)))(before.right)))
 */
export const set =
  (page: PageIndex) =>
  (bm: PageBitmap): E.Either<PageOutOfRange, PageBitmap> =>
    put(page, bm, true)

/**
 * `bm` with `page` clear (QEMU `clear_bit`, as migration clears a page it is about to
 * send in `migration_bitmap_clear_dirty`).
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = pipe(bitmap.full(100), either.chain(bitmap.clear(PageIndex.unsafe(0))), either.map(bitmap.count))
 * assert.deepEqual(bm, either.right(99))
 */
export const clear =
  (page: PageIndex) =>
  (bm: PageBitmap): E.Either<PageOutOfRange, PageBitmap> =>
    put(page, bm, false)

/** Whether no page is set (QEMU `bitmap_empty`). */
export const isEmpty = (bm: PageBitmap): boolean => bm.pages === 0 || nextOf(bm, 0, false) < 0

/** Whether every page is set (QEMU `bitmap_full`). */
export const isFull = (bm: PageBitmap): boolean => {
  const r = bm.pages === 0 ? -1 : nextOf(bm, 0, true)
  return r < 0 || r >= bm.pages
}

/**
 * Whether two bitmaps cover the same pages and have the same pages set (QEMU
 * `bitmap_equal`). Shared subtrees compare in constant time.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const a = pipe(bitmap.empty(5000), either.chain(bitmap.set(p(4999))), either.chain(bitmap.set(p(1))))
 * const b = pipe(bitmap.empty(5000), either.chain(bitmap.set(p(1))), either.chain(bitmap.set(p(4999))))
 * assert.ok(either.isRight(a) && either.isRight(b))
 * assert.equal(pipe(a.right, bitmap.equals(b.right)), true)
 * assert.equal(bitmap.Eq.equals(a.right, b.right), true)
 */
export const equals =
  (other: PageBitmap) =>
  (bm: PageBitmap): boolean =>
    bm.pages === other.pages && equalNodes(rootOf(bm), rootOf(other), heightOf(bm))

/** `Eq` for bitmaps: {@link equals}. */
export const Eq: FpEq<PageBitmap> = { equals: (x, y) => equals(y)(x) }
