/**
 * A sorted set of disjoint flat ranges that accepts insertions in O(log n + chunk): the
 * working storage of {@link render}. QEMU keeps one array and shifts it on each
 * `flatview_insert`; a chunked array gives the same order without quadratic copying on
 * large trees. Local to a render: it is mutable and never escapes.
 *
 * @module
 */
import type { FlatRange } from './flat-range.js'

const CHUNK = 128

/** A chunked, sorted list of disjoint ranges. */
export class SortedRanges {
  /**
   * One instance for the module's life. V8 holds the layout ("map") that the field below
   * gives instances only weakly once no instance is left, and optimised code that uses it
   * is thrown away when it dies: without this, each full GC after a render dropped the
   * optimised code of these methods and of the render ("weak objects", 28 times each in
   * one bench run), and the next renders ran unoptimised until V8 compiled them again.
   */
  static readonly layoutKeeper: SortedRanges = new SortedRanges()

  private chunks: FlatRange[][] = [[]]

  /** Index of the first chunk whose last range ends after `addr`. */
  private chunkAfter(addr: bigint): number {
    let lo = 0
    let hi = this.chunks.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const c = this.chunks[mid] as FlatRange[]
      const last = c[c.length - 1]
      if (last === undefined || last.end > addr) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /**
   * Inserts `make(ctx, gapStart, gapEnd)` for each part of `[start, end)` that no range covers
   * yet, in address order (the gaps a terminating region fills in
   * `render_memory_region`). One walk from the window's start; no list of gaps is built.
   * `make` and `ctx` apart, so that a caller passes a module function, not a fresh closure.
   */
  fill<C>(
    start: bigint,
    end: bigint,
    make: (ctx: C, start: bigint, end: bigint) => FlatRange,
    ctx: C,
  ): void {
    let base = start
    let ci = this.chunkAfter(base)
    let i = firstEndingAfter(this.chunks[ci] as FlatRange[], base)
    while (base < end) {
      const chunk = this.chunks[ci] as FlatRange[]
      if (i >= chunk.length && ci + 1 < this.chunks.length) {
        ci++
        i = 0
        continue
      }
      const r = chunk[i]
      if (r === undefined || r.start >= end) {
        this.insertAt(ci, i, make(ctx, base, end))
        return
      }
      if (base < r.start) {
        this.insertAt(ci, i, make(ctx, base, r.start))
        base = r.end
        // the insert may have split the chunk: find the range after `r` afresh
        ci = this.chunkAfter(base)
        i = firstEndingAfter(this.chunks[ci] as FlatRange[], base)
        continue
      }
      // `r` covers `base`
      base = r.end
      i++
    }
  }

  /** Inserts `r` at index `at` of chunk `ci` (its place in address order). */
  private insertAt(ci: number, at: number, r: FlatRange): void {
    const chunk = this.chunks[ci] as FlatRange[]
    if (at === chunk.length) chunk.push(r)
    else if (at === 0) chunk.unshift(r)
    else chunk.splice(at, 0, r)
    if (chunk.length >= CHUNK * 2) {
      // split in place: the chunk keeps its first half, the second half follows it
      const tail = chunk.slice(CHUNK)
      chunk.length = CHUNK
      this.chunks.splice(ci + 1, 0, tail)
    }
  }

  /** The chunks themselves, in address order (read-only: a walk without a copy). */
  parts(): ReadonlyArray<ReadonlyArray<FlatRange>> {
    return this.chunks
  }
}

/** Index of the first range in `rs` whose end is after `addr` (rs sorted, disjoint). */
const firstEndingAfter = (rs: ReadonlyArray<FlatRange>, addr: bigint): number => {
  let lo = 0
  let hi = rs.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((rs[mid] as FlatRange).end > addr) hi = mid
    else lo = mid + 1
  }
  return lo
}
