/**
 * Changing a bitmap's page granularity. QEMU's dirty bitmaps count target pages (4 KiB on
 * x86) while KVM logs host pages and a hugetlbfs RAMBlock is dirtied, migrated and
 * discarded in whole huge pages. These work run by run, so their cost follows the number
 * of runs of set pages, not the number of pages.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { PageBitmap } from './bitmap.js'
import { invalidRatio, type InvalidRatio } from './errors.js'
import { MAX_PAGES } from './layout.js'
import { forEachRun, fromSortedRuns } from './runs.js'

/** Runs mapped through `f` (monotone, so still sorted), overlapping and adjacent ones merged. */
const mapRuns = (
  bm: PageBitmap,
  f: (start: number, end: number) => readonly [number, number],
): { starts: number[]; ends: number[] } => {
  const starts: number[] = []
  const ends: number[] = []
  forEachRun(bm, (s, e) => {
    const [a, b] = f(s, e)
    const last = ends.length - 1
    if (last >= 0 && a <= (ends[last] as number)) ends[last] = Math.max(ends[last] as number, b)
    else {
      starts.push(a)
      ends.push(b)
    }
  })
  return { starts, ends }
}

const isRatio = (r: number): boolean => Number.isInteger(r) && r >= 1 && r <= MAX_PAGES

/**
 * A host-page bitmap as target pages, `ratio` target pages per host page: each set host
 * page sets its `ratio` target pages. This is what QEMU's
 * `cpu_physical_memory_set_dirty_lebitmap` does when the host page is larger than the
 * target page (`hpratio > 1`, e.g. 64 KiB host pages under 4 KiB target pages).
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // a 64 KiB-page host log of 4 pages: host page 2 dirty = target pages 32 to 47
 * const bm = pipe(bitmap.fromPages(4)([2].map(PageIndex.unsafe)), either.chainW(bitmap.hostToTarget(16)))
 * assert.deepEqual(pipe(bm, either.map((b) => [b.pages, bitmap.runs(b)])), either.right([64, [{ start: 32, end: 48 }]]))
 */
export const hostToTarget =
  (ratio: number) =>
  (bm: PageBitmap): E.Either<InvalidRatio, PageBitmap> => {
    if (!isRatio(ratio) || bm.pages * ratio > MAX_PAGES)
      return E.left(invalidRatio(ratio, 'host-to-target page ratio'))
    if (ratio === 1) return E.right(bm)
    const { starts, ends } = mapRuns(bm, (s, e) => [s * ratio, e * ratio])
    return E.right(fromSortedRuns(bm.pages * ratio, starts, ends))
  }

/**
 * A target-page bitmap as host pages, `ratio` target pages per host page (the last host
 * page may be partial): a host page is set when any of its target pages is, as QEMU widens
 * a target-page range to whole host pages before `KVM_CLEAR_DIRTY_LOG`
 * (accel/kvm/kvm-all.c `kvm_log_clear_one_slot`).
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = pipe(bitmap.fromPages(70)([15, 16, 69].map(PageIndex.unsafe)), either.chainW(bitmap.targetToHost(16)))
 * assert.deepEqual(pipe(bm, either.map((b) => [b.pages, bitmap.toPages(b)])), either.right([5, [0, 1, 4]]))
 */
export const targetToHost =
  (ratio: number) =>
  (bm: PageBitmap): E.Either<InvalidRatio, PageBitmap> => {
    if (!isRatio(ratio)) return E.left(invalidRatio(ratio, 'target-to-host page ratio'))
    if (ratio === 1) return E.right(bm)
    const { starts, ends } = mapRuns(bm, (s, e) => [Math.floor(s / ratio), Math.ceil(e / ratio)])
    return E.right(fromSortedRuns(Math.ceil(bm.pages / ratio), starts, ends))
  }

/**
 * The bitmap with every granule of `granulePages` pages that has a set page wholly set (the
 * last granule stopping at the bitmap's end): a 2 MiB-page RAMBlock is dirtied in 2 MiB
 * units of 512 target pages, as QEMU's `postcopy_chunk_hostpages_pass` (migration/ram.c)
 * makes whole host pages dirty before postcopy.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = pipe(bitmap.fromPages(1200)([5, 1100].map(PageIndex.unsafe)), either.chainW(bitmap.roundToGranule(512)))
 * assert.deepEqual(pipe(bm, either.map(bitmap.runs)), either.right([
 *   { start: 0, end: 512 },
 *   { start: 1024, end: 1200 },
 * ]))
 */
export const roundToGranule =
  (granulePages: number) =>
  (bm: PageBitmap): E.Either<InvalidRatio, PageBitmap> => {
    const g = granulePages
    if (!isRatio(g)) return E.left(invalidRatio(g, 'granule of'))
    if (g === 1) return E.right(bm)
    const { starts, ends } = mapRuns(bm, (s, e) => [
      Math.floor(s / g) * g,
      Math.min(Math.ceil(e / g) * g, bm.pages),
    ])
    return E.right(fromSortedRuns(bm.pages, starts, ends))
  }
