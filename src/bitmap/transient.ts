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
import { empty } from './bitmap.js'
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
  LEAF_BITS,
  bgOf,
  canonInner,
  canonWords,
  child,
  childIndex,
  copyLeaf,
  kidsOf,
  type Clear,
  type Leaf,
  type Node,
  type Run,
} from './layout.js'
import { fillNode, heapOf, heightOf, rootOf, testLeaf, withRoot } from './tree.js'

/**
 * An inner node the batch copied and changes in place: its slots (an empty one is the
 * background's part) and background, made an inner node again when the batch ends.
 */
interface Draft {
  readonly tag: 'draft'
  readonly kids: Array<Slot | undefined>
  readonly bg: Run | Clear
}
/** A node of the batch's tree: shared with other bitmaps, or a draft the batch owns. */
type Slot = Node | Draft

/** Child `c` of `x` (height `k >= 1`). */
const slotChild = (x: Slot, c: number, k: number): Slot =>
  x.tag === 'draft' ? (x.kids[c] ?? child(x.bg, c, k)) : child(x, c, k)

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
    const heap = heapOf(bm)
    let root: Slot = rootOf(bm)
    /** The leaves the batch copied and writes in place (until they are frozen). */
    const owned = new Set<Leaf>()
    let error: BitmapError | undefined
    let open = true
    const live = (): boolean => open && error === undefined
    /** The batch's tree as nodes: drafts made inner nodes, owned leaves made canonical. */
    const freeze = (x: Slot, k: number): Node => {
      if (x.tag !== 'draft') return x.tag === 'leaf' && owned.has(x) ? canonWords(x, 0) : x
      const kids = x.kids.map((y) => (y === undefined ? y : freeze(y, k - 1)))
      return canonInner(kids, x.bg)
    }
    /** The height-0 slot holding `page`. */
    const leafOf = (page: number): Node => {
      let x = root
      for (let k = h; k > 0; k--) x = slotChild(x, childIndex(page, k), k)
      return x as Node
    }
    const getBit = (page: number): boolean => testLeaf(leafOf(page), page)

    const put = (page: number, value: boolean): void => {
      if (!live()) return
      if (!isIndex(page, pages - 1)) {
        error = pageOutOfRange(page, pages)
        return
      }
      if (getBit(page) === value) return
      let parent: Draft | undefined
      let at = 0
      let x = root
      for (let k = h; k > 0; k--) {
        let d: Draft
        if (x.tag === 'draft') d = x
        else {
          d = { tag: 'draft', kids: kidsOf(x, k), bg: bgOf(x) }
          if (parent === undefined) root = d
          else parent.kids[at] = d
        }
        parent = d
        at = childIndex(page, k)
        x = slotChild(d, at, k)
      }
      let leaf: Leaf
      if (x.tag === 'leaf' && owned.has(x)) leaf = x
      else {
        leaf = copyLeaf(heap, x as Node)
        owned.add(leaf)
        if (parent === undefined) root = leaf
        else parent.kids[at] = leaf
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
      // fillNode copies rather than writes: freeze first, and own nothing after
      root = fillNode(heap, freeze(root, h), h, 0, start, end, value)
      owned.clear()
    }

    const t: Transient = {
      pages,
      test: (page) => E.map(getBit)(checkPage(page, pages)),
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

    return E.right(withRoot(bm, freeze(root, h)))
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
