/**
 * A bitmap as maximal runs of set pages, and back: the form in which QEMU hands dirty
 * memory to its users (`memory_region_snapshot_and_clear_dirty` ranges, the `[start, end)`
 * ranges `cpu_physical_memory_set_dirty_range` takes). Runs cost one step per run, not per
 * page: an all-set subtree extends a run in constant time.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import {
  checkPages,
  isRange,
  rangeOutOfBounds,
  type InvalidPageCount,
  type PageRangeOutOfBounds,
} from './errors.js'
import {
  CLEAR,
  FANOUT,
  FULL,
  allocLeaf,
  canonInner,
  canonWords,
  ctz,
  heightFor,
  newHeap,
  span,
  widthOf,
  WORDS,
  type Node,
  eachMask,
} from './layout.js'
import { eachBlock, heightOf, rootOf, wrap } from './tree.js'

/**
 * A run of set pages `[start, end)`, `start < end`: two page positions (`end` one past the
 * last page, which may be the bitmap's page count). Its length, `end - start`, is a count.
 */
export interface PageRun {
  readonly start: PageIndex
  readonly end: PageIndex
}

/** Calls `f(start, end)` for every maximal run of set pages, in increasing order (internal). */
export const forEachRun = (bm: PageBitmap, f: (start: number, end: number) => void): void => {
  // `open`: where a run still open began (-1 if none); `last`: the end of the last block seen
  let open = -1
  let last = 0
  eachBlock(rootOf(bm), heightOf(bm), 0, (x, k, base) => {
    if (open >= 0 && base !== last) {
      f(open, last)
      open = -1
    }
    last = base + span(k)
    if (x.tag === 'full') {
      if (open < 0) open = base
      return
    }
    const { w, o } = x
    for (let i = 0, n = WORDS[k] as number; i < n; i++) {
      const v = w[o + i] as number
      if (open < 0 ? v === 0 : v === 0xffffffff) continue
      const wb = base + (i << 5)
      for (let pos = 0; ;) {
        const z = (open < 0 ? v : ~v) & (-1 << pos)
        if (z === 0) break
        pos = ctz(z)
        if (open < 0) open = wb + pos
        else {
          f(open, wb + pos)
          open = -1
        }
      }
    }
  })
  if (open >= 0) f(open, Math.min(last, bm.pages))
}

/**
 * The maximal runs of set pages, in increasing order.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(
 *   bitmap.empty(10000),
 *   either.chain(bitmap.setRange(p(2040), p(2100))),
 *   either.chain(bitmap.set(p(9999))),
 * )
 * assert.deepEqual(pipe(bm, either.map(bitmap.runs)), either.right([
 *   { start: 2040, end: 2100 },
 *   { start: 9999, end: 10000 },
 * ]))
 */
export const runs = (bm: PageBitmap): ReadonlyArray<PageRun> => {
  const out: PageRun[] = []
  forEachRun(bm, (start, end) => {
    out.push({ start: start as PageIndex, end: end as PageIndex })
  })
  return out
}

/**
 * Folds `f` over the maximal runs of set pages in increasing order.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const longest = bitmap.reduceRuns(0, (n, r) => Math.max(n, r.end - r.start))
 * const bm = pipe(bitmap.empty(512), either.chain(bitmap.setRange(p(3), p(9))), either.chain(bitmap.set(p(100))))
 * assert.deepEqual(pipe(bm, either.map(longest)), either.right(6))
 */
export const reduceRuns =
  <B>(b: B, f: (b: B, run: PageRun) => B) =>
  (bm: PageBitmap): B => {
    let acc = b
    forEachRun(bm, (start, end) => {
      acc = f(acc, { start: start as PageIndex, end: end as PageIndex })
    })
    return acc
  }

/**
 * The tree of a `pages`-page bitmap with the runs `[starts[i], ends[i])` set (internal):
 * runs sorted by start, each within `[0, pages)`, and disjoint and not adjacent. One step
 * per node holding a run edge, so it costs time in proportion to the runs, not the pages.
 */
export const fromSortedRuns = (
  pages: number,
  starts: ArrayLike<number>,
  ends: ArrayLike<number>,
): PageBitmap => {
  const n = starts.length
  const heap = newHeap()
  let i = 0
  const build = (h: number, base: number, width: number): Node => {
    const end = base + span(h)
    while (i < n && (ends[i] as number) <= base) i++
    if (i === n || (starts[i] as number) >= end) return CLEAR
    if ((starts[i] as number) <= base && (ends[i] as number) >= end && width === FANOUT) return FULL
    if (h === 0) {
      const leaf = allocLeaf(heap)
      for (let j = i; j < n && (starts[j] as number) < end; j++) {
        const a = Math.max(starts[j] as number, base) - base
        const b = Math.min(ends[j] as number, end) - base
        eachMask(a, b, (k, m) => {
          leaf.w[leaf.o + k] = (leaf.w[leaf.o + k] as number) | m
        })
      }
      return canonWords(leaf, 0)
    }
    const cs = span(h - 1)
    const out = new Array<Node>(width)
    for (let c = 0; c < width; c++) out[c] = build(h - 1, base + c * cs, FANOUT)
    return canonInner(out)
  }
  const h = heightFor(pages)
  return wrap(pages, build(h, 0, widthOf(pages, h)), heap)
}

/**
 * Sorts runs (valid, possibly overlapping or empty) and merges overlapping and adjacent
 * ones, for {@link fromSortedRuns} (internal).
 */
export const normalizeRuns = (
  rs: ReadonlyArray<PageRun>,
): { readonly starts: number[]; readonly ends: number[] } => {
  const sorted = rs.filter((r) => r.start < r.end).sort((a, b) => a.start - b.start)
  const starts: number[] = []
  const ends: number[] = []
  for (const r of sorted) {
    const last = ends.length - 1
    if (last >= 0 && r.start <= (ends[last] as number))
      ends[last] = Math.max(ends[last] as number, r.end)
    else {
      starts.push(r.start)
      ends.push(r.end)
    }
  }
  return { starts, ends }
}

/**
 * A bitmap of `pages` pages (a count) with the given runs set: runs in any order, possibly
 * overlapping or empty, each within `[0, pages]`; or why not.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const run = (start, end) => ({ start: PageIndex.unsafe(start), end: PageIndex.unsafe(end) })
 * const bm = bitmap.fromRuns(100)([run(50, 60), run(0, 10), run(55, 70)])
 * assert.deepEqual(pipe(bm, either.map(bitmap.runs)), either.right([
 *   { start: 0, end: 10 },
 *   { start: 50, end: 70 },
 * ]))
 * assert.ok(either.isLeft(bitmap.fromRuns(100)([run(90, 101)])))
 */
export const fromRuns =
  (pages: number) =>
  (rs: ReadonlyArray<PageRun>): E.Either<InvalidPageCount | PageRangeOutOfBounds, PageBitmap> =>
    pipe(
      checkPages(pages),
      E.chainW((n) => {
        const bad = rs.find((r) => !isRange(r.start, r.end, n))
        if (bad !== undefined) return E.left(rangeOutOfBounds(bad.start, bad.end, n))
        const { starts, ends } = normalizeRuns(rs)
        return E.right(fromSortedRuns(n, starts, ends))
      }),
    )
