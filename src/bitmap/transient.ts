/**
 * Batch updates of a bitmap: many page and range updates applied in place to nodes the
 * batch itself copied, then frozen into a new bitmap. The batch never writes a node the
 * input (or any other bitmap) can reach, and its handle goes dead when the batch ends, so
 * from outside it is as pure as a chain of `set`s — while each leaf and path is copied at
 * most once, as QEMU's `bitmap_set` loop would touch each word once.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import { empty, widthOf } from './bitmap.js'
import {
  checkPage,
  isIndex,
  isRange,
  pageOutOfRange,
  rangeOutOfBounds,
  type BitmapError,
  type PageOutOfRange,
} from './errors.js'
import {
  FANOUT,
  LEAF_BITS,
  canonInner,
  canonLeaf,
  child,
  childIndex,
  copyLeaf,
  childCount,
  type Leaf,
  type Node,
  type Slots,
} from './layout.js'
import { copyInner, fillNode, getBit, heightOf, wrap } from './tree.js'

/**
 * The handle a batch gets: updates act on the batch's private copy. A bad page or range is
 * recorded (the batch then fails with the first such error) and nothing is thrown. After
 * the batch returns the handle does nothing.
 */
export interface Transient {
  /** The number of pages of the bitmap being built (a count). */
  readonly pages: number
  /** Whether `page` is set so far, or why it is not a page. */
  readonly test: (page: PageIndex) => E.Either<PageOutOfRange, boolean>
  /** Sets `page`. */
  readonly set: (page: PageIndex) => void
  /** Clears `page`. */
  readonly clear: (page: PageIndex) => void
  /** Sets `[start, end)`. */
  readonly setRange: (start: PageIndex, end: PageIndex) => void
  /** Clears `[start, end)`. */
  readonly clearRange: (start: PageIndex, end: PageIndex) => void
}

/**
 * Runs `f` with a {@link Transient} over a private copy of `bm` and returns the result, or
 * the first bad page or range `f` asked for. `bm` is not changed.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const start = bitmap.empty(1 << 20)
 * assert.ok(either.isRight(start))
 * const next = pipe(start.right, bitmap.withMutations((t) => {
 *   for (let i = 0; i < 1000; i += 3) t.set(p(i))
 *   t.setRange(p(5000), p(6000))
 *   t.clear(p(3))
 * }))
 * assert.deepEqual(either.map(bitmap.count)(next), either.right(334 - 1 + 1000))
 * assert.equal(bitmap.count(start.right), 0)
 * const bad = pipe(start.right, bitmap.withMutations((t) => t.set(p(-1))))
 * assert.equal(either.isLeft(bad) && bad.left._tag, 'PageOutOfRange')
 */
export const withMutations =
  (f: (t: Transient) => void) =>
  (bm: PageBitmap): E.Either<BitmapError, PageBitmap> => {
    const { pages } = bm
    const h = heightOf(bm)
    const width = widthOf(pages, h)
    let root = bm.root
    const owned = new Set<Node>()
    let error: BitmapError | undefined
    let open = true
    const live = (): boolean => open && error === undefined
    /** The tree with the nodes the batch owns made canonical (they stay owned). */
    const freeze = (node: Node, k: number): Node => {
      if (!owned.has(node)) return node
      if (k === 0) return canonLeaf(node as Leaf)
      const inner = node as Slots
      const n = childCount(inner)
      for (let c = 0; c < n; c++) {
        const x = inner[c]
        if (typeof x !== 'number') inner[c] = freeze(x as Node, k - 1)
      }
      return canonInner(inner, k)
    }

    const put = (page: number, value: boolean): void => {
      if (!live()) return
      if (!isIndex(page, pages - 1)) {
        error = pageOutOfRange(page, pages)
        return
      }
      if (getBit(root, h, page) === value) return
      let parent: Slots | undefined
      let at = 0
      let node = root
      for (let k = h; k > 0; k--) {
        let inner = node as Slots
        if (!owned.has(node)) {
          inner = copyInner(node, k === h ? width : FANOUT, k)
          owned.add(inner)
          if (parent === undefined) root = inner
          else parent[at] = inner
        }
        parent = inner
        at = childIndex(page, k)
        node = child(inner, at, k)
      }
      let leaf = node as Leaf
      if (!owned.has(leaf)) {
        leaf = copyLeaf(leaf)
        owned.add(leaf)
        if (parent === undefined) root = leaf
        else parent[at] = leaf
      }
      const i = leaf.o + ((page & (LEAF_BITS - 1)) >>> 5)
      const bit = 1 << (page & 31)
      const w = leaf.w[i] as number
      leaf.w[i] = value ? w | bit : w & ~bit
    }

    const fill = (start: number, end: number, value: boolean): void => {
      if (!live()) return
      if (!isRange(start, end, pages)) {
        error = rangeOutOfBounds(start, end, pages)
        return
      }
      // fillNode copies rather than writes: freeze first, so that every node the batch
      // owns stays reachable only through nodes it owns.
      root = fillNode(freeze(root, h), h, 0, start, end, value, width)
      owned.clear()
    }

    const t: Transient = {
      pages,
      test: (page) => E.map((p: number) => getBit(root, h, p))(checkPage(page, pages)),
      set: (page) => put(page, true),
      clear: (page) => put(page, false),
      setRange: (start, end) => fill(start, end, true),
      clearRange: (start, end) => fill(start, end, false),
    }
    try {
      f(t)
    } finally {
      open = false
    }
    if (error !== undefined) return E.left(error)

    root = freeze(root, h)
    return E.right(root === bm.root ? bm : wrap(pages, root))
  }

/**
 * A bitmap of `pages` pages (a count) with the given pages set (in any order, repeats
 * allowed), or the first invalid page count or page.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = bitmap.fromPages(100)([99, 0, 64, 0].map(PageIndex.unsafe))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([0, 64, 99]))
 * assert.ok(either.isLeft(bitmap.fromPages(100)([PageIndex.unsafe(100)])))
 */
export const fromPages =
  (pages: number) =>
  (indexes: Iterable<PageIndex>): E.Either<BitmapError, PageBitmap> =>
    pipe(
      empty(pages),
      E.chainW(
        withMutations((t) => {
          for (const p of indexes) t.set(p)
        }),
      ),
    )
