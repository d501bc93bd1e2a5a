/**
 * Finding pages in a bitmap: the next set or clear page from a position (QEMU's
 * `find_next_bit` / `find_next_zero_bit`, util/bitops.c, which migration's
 * `migration_bitmap_find_dirty` calls to pick the next page to send), whether a range has
 * any or all pages set, and visiting every set page in order. All-clear and all-set
 * subtrees are skipped in one step.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import type { PageRangeOutOfBounds } from './errors.js'
import { listBits32 } from './kernels.js'
import {
  CLEAR,
  FANOUT,
  SPAN,
  WORDS,
  child,
  childIndex,
  ctz,
  span,
  type Node,
  type Words,
} from './layout.js'
import { checkRange } from './ranges.js'
import { eachBlock, heightOf, nextOf, rootOf, scanWords } from './tree.js'

const startAt = (from: number): number => (from <= 0 ? 0 : Math.ceil(from))

/**
 * The first set page at or after `from` (QEMU `find_next_bit`), or none. Total: a `from` at
 * or past the bitmap's end finds nothing. (At run time any number is taken, the search
 * starting at the first whole page `>= from`; NaN finds nothing.)
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(2 ** 28), either.chain(bitmap.set(p(5))), either.chain(bitmap.set(p(2 ** 27))))
 * assert.ok(either.isRight(bm))
 * assert.deepEqual(pipe(bm.right, bitmap.nextSet(p(0))), option.some(5))
 * assert.deepEqual(pipe(bm.right, bitmap.nextSet(p(6))), option.some(2 ** 27))
 * assert.deepEqual(pipe(bm.right, bitmap.nextSet(p(2 ** 27 + 1))), option.none)
 */
export const nextSet =
  (from: PageIndex) =>
  (bm: PageBitmap): O.Option<PageIndex> => {
    const f = startAt(from)
    const r = f < bm.pages ? nextOf(bm, f, false) : -1
    return r < 0 ? O.none : O.some(r as PageIndex)
  }

/**
 * A finder of set pages in `bm`: `find(from)` is the first set page at or after `from`, or
 * `bm.pages` when there is none — QEMU's `find_next_bit(addr, size, offset)`, which returns
 * `size` when no bit is found, as `migration_bitmap_find_dirty` calls it once per page it
 * sends. Answers as {@link nextSet} does, without an `Option` per call; the finder keeps its
 * place in the tree, so a walk in increasing order costs a step to the next leaf or run with
 * a set page rather than a search from the root, and within a run one list entry per call
 * (the set pages of 4096 words at a time, listed in one pass). Calls may come in any order;
 * `bm` is never changed. Holds 64 KiB for the list while it lives, or 512 KiB once it has
 * met 4096 words with more than 16384 set pages.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(2 ** 28), either.chain(bitmap.setRange(p(10), p(13))), either.chain(bitmap.set(p(2 ** 27))))
 * assert.ok(either.isRight(bm))
 * const find = bitmap.setPageFinder(bm.right)
 * const sent = []
 * for (let at = find(p(0)); at < bm.right.pages; at = find(p(at + 1))) sent.push(at)
 * assert.deepEqual(sent, [10, 11, 12, 2 ** 27])
 * assert.equal(find(p(2 ** 27 + 1)), 2 ** 28) // none: the page count, as find_next_bit
 */
export const setPageFinder = (bm: PageBitmap): ((from: PageIndex) => PageIndex) => {
  const finder = new Finder(rootOf(bm), heightOf(bm), bm.pages)
  return (from) => finder.find(from) as PageIndex
}

/**
 * Words of a run a finder lists at a time (131072 pages, 16 KiB, listed by the wasm `list`
 * kernel; a window of 4 KiB spent 2 of every 5 ms of a sparse walk on the copy into the
 * kernel's memory), and the shift of its pages.
 */
const WINDOW_WORDS = 4096
const WINDOW_SHIFT = 17
const WINDOW_PAGES = 1 << WINDOW_SHIFT
/** Entries of a finder's first list: a window with more set pages lists into a full-size one. */
const LIST_FIRST = 16384

/** The state behind {@link setPageFinder}. */
class Finder {
  /** The node of height `k` on the path to the current block, the child taken, its first page. */
  readonly nodes: Node[]
  readonly at: Int32Array
  readonly bases: Float64Array
  /** The current block (the path's end: a leaf, run or shared node), its height, its pages. */
  run: Node = CLEAR
  height = 0
  base = 0
  end = 0
  /** The window of a run listed (-1: none), its set pages (offsets), how many, the next one. */
  win = -1
  list = new Uint32Array(0)
  count = 0
  next = 0

  constructor(
    readonly root: Node,
    readonly h: number,
    readonly pages: number,
  ) {
    this.nodes = new Array<Node>(h + 1).fill(root)
    this.at = new Int32Array(h + 1)
    this.bases = new Float64Array(h + 1)
    this.seek(0)
  }

  land(n: Node, k: number, base: number): void {
    this.run = n
    this.height = k
    this.base = base
    this.end = base + span(k)
    this.win = -1
  }

  /** Follows the path to the block holding `page`. */
  seek(page: number): void {
    const { nodes, at, bases } = this
    let n = this.root
    let base = 0
    let k = this.h
    for (; k > 0 && n.tag === 'inner'; k--) {
      nodes[k] = n
      bases[k] = base
      const c = childIndex(page, k)
      at[k] = c
      base += c * (SPAN[k - 1] as number)
      n = child(n, c, k)
    }
    this.land(n, k, base)
  }

  /** Moves to the next block that is not all clear; false, unchanged, when there is none. */
  advance(): boolean {
    const { nodes, at, bases } = this
    for (let k = this.height + 1; k <= this.h; k++) {
      const node = nodes[k] as Node
      for (let c = (at[k] as number) + 1; c < FANOUT; c++) {
        let n = child(node, c, k)
        if (n.tag === 'clear') continue
        at[k] = c
        let base = (bases[k] as number) + c * (SPAN[k - 1] as number)
        // down the leftmost children that are not all clear
        let j = k - 1
        for (; j > 0 && n.tag === 'inner'; j--) {
          nodes[j] = n
          bases[j] = base
          let d = 0
          let x = child(n, 0, j)
          while (d < FANOUT - 1 && x.tag === 'clear') x = child(n, ++d, j)
          at[j] = d
          base += d * (SPAN[j - 1] as number)
          n = x
        }
        this.land(n, j, base)
        return true
      }
    }
    return false
  }

  /**
   * Lists the set pages of window `k` of the current run `x`: into a list of 16384 entries
   * (64 KiB) first, and when that fills, again into one with room for every page.
   */
  load(x: Words, k: number): void {
    const first = k * WINDOW_WORDS
    const n = Math.min(WINDOW_WORDS, (WORDS[this.height] as number) - first)
    if (this.list.length === 0) this.list = new Uint32Array(Math.min(LIST_FIRST, 32 * n))
    let c = listBits32(x.w, x.o + first, n, 0, this.list, 0)
    if (c === this.list.length && c < 32 * n) {
      this.list = new Uint32Array(32 * WINDOW_WORDS)
      c = listBits32(x.w, x.o + first, n, 0, this.list, 0)
    }
    this.count = c
    this.win = k
    this.next = 0
  }

  /** The first listed page at or after `r` (an offset in the window), or -1. */
  listed(r: number): number {
    const { list, count } = this
    let k = this.next
    // a walk in order: the entry after the last answer; else a binary search
    if (!(k < count && (list[k] as number) >= r && (k === 0 || (list[k - 1] as number) < r))) {
      let lo = 0
      let hi = count
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((list[mid] as number) < r) lo = mid + 1
        else hi = mid
      }
      k = lo
    }
    this.next = k < count ? k + 1 : count
    return k < count ? (list[k] as number) : -1
  }

  find(from: number): number {
    const pages = this.pages
    let f = startAt(from)
    if (!(f < pages)) return pages
    if (f < this.base || f >= this.end) this.seek(f)
    for (;;) {
      const r = f - this.base
      const x = this.run
      let i = -1
      if (x.tag === 'full') i = r
      else if (x.tag === 'leaf') i = scanWords(x, 0, r)
      else if (x.tag === 'run') {
        const k = r >>> WINDOW_SHIFT
        if (k !== this.win) {
          // the word the search starts in first: a lone search need not list a window
          const v = (x.w[x.o + (r >>> 5)] as number) & (-1 << (r & 31))
          if (v !== 0) i = (r & ~31) + ctz(v)
          else this.load(x, k)
        }
        for (let j = k; i < 0;) {
          const got = this.listed(j === k ? r & (WINDOW_PAGES - 1) : 0)
          if (got >= 0) i = j * WINDOW_PAGES + got
          else if (++j * WINDOW_WORDS >= (WORDS[this.height] as number)) break
          else this.load(x, j)
        }
      }
      if (i >= 0) return this.base + i < pages ? this.base + i : pages
      if (!this.advance()) return pages
      f = this.base
    }
  }
}

/**
 * The first clear page at or after `from` (QEMU `find_next_zero_bit`), or none; `from` as
 * for {@link nextSet}.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import * as option from 'fp-ts/lib/Option.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.full(3000), either.chain(bitmap.clear(p(2999))))
 * assert.ok(either.isRight(bm))
 * assert.deepEqual(pipe(bm.right, bitmap.nextClear(p(0))), option.some(2999))
 * assert.deepEqual(pipe(bitmap.full(3000), either.map(bitmap.nextClear(p(0)))), either.right(option.none))
 */
export const nextClear =
  (from: PageIndex) =>
  (bm: PageBitmap): O.Option<PageIndex> => {
    const f = startAt(from)
    if (!(f < bm.pages)) return O.none
    const r = nextOf(bm, f, true)
    return r < 0 || r >= bm.pages ? O.none : O.some(r as PageIndex)
  }

/**
 * Whether any page of `[start, end)` is set (false for an empty range), or why the range is
 * not within the bitmap: QEMU's `cpu_physical_memory_get_dirty`.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(4096), either.chain(bitmap.set(p(100))))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.testAny(p(0), p(100)))), either.right(false))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.testAny(p(0), p(101)))), either.right(true))
 */
export const testAny =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, boolean> =>
    E.map((b: PageBitmap) => {
      if (start === end) return false
      const r = nextOf(b, start, false)
      return r >= 0 && r < end
    })(checkRange(start, end, bm))

/**
 * Whether every page of `[start, end)` is set (true for an empty range), or why the range
 * is not within the bitmap: QEMU's `cpu_physical_memory_all_dirty`.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(4096), either.chain(bitmap.setRange(p(64), p(128))))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.testAll(p(64), p(128)))), either.right(true))
 * assert.deepEqual(pipe(bm, either.chain(bitmap.testAll(p(63), p(128)))), either.right(false))
 */
export const testAll =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, boolean> =>
    E.map((b: PageBitmap) => {
      if (start === end) return true
      const r = nextOf(b, start, true)
      return r < 0 || r >= end
    })(checkRange(start, end, bm))

/** Folds `f` over the set pages of `bm` in increasing order, from `acc`. */
const reduceSet = <B>(bm: PageBitmap, acc: B, f: (b: B, page: number) => B): B => {
  eachBlock(rootOf(bm), heightOf(bm), 0, (x, k, base) => {
    if (x.tag === 'full') for (let i = 0; i < span(k); i++) acc = f(acc, base + i)
    else
      for (let i = 0, n = WORDS[k] as number; i < n; i++) {
        const wb = base + (i << 5) + 31
        for (let v = x.w[x.o + i] as number; v !== 0; v &= v - 1)
          acc = f(acc, wb - Math.clz32(v & -v))
      }
  })
  return acc
}

/**
 * Folds `f` over the set pages in increasing order: the loop migration runs with
 * `find_next_bit` over the dirty bitmap, without building a list.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = pipe(bitmap.empty(100), either.chain(bitmap.setRange(PageIndex.unsafe(10), PageIndex.unsafe(13))))
 * assert.deepEqual(pipe(bm, either.map(bitmap.reducePages(0, (sum, p) => sum + p))), either.right(33))
 */
export const reducePages =
  <B>(b: B, f: (b: B, page: PageIndex) => B) =>
  (bm: PageBitmap): B =>
    // the brand is type-only: the walk hands out plain numbers, each a page of `bm`
    reduceSet(bm, b, f as (b: B, page: number) => B)

/**
 * The set pages in increasing order (QEMU's `for_each_set_bit`). Builds one array entry per
 * set page: prefer {@link reducePages} or `runs` on densely set bitmaps.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(200), either.chain(bitmap.set(p(199))), either.chain(bitmap.set(p(63))))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([63, 199]))
 */
export const toPages = (bm: PageBitmap): ReadonlyArray<PageIndex> =>
  reduceSet(bm, [] as number[], (out, p) => {
    out.push(p)
    return out
  }) as PageIndex[]
