/**
 * A sorted set of disjoint flat ranges that accepts insertions in O(log n + chunk): the
 * working storage of {@link render}. QEMU keeps one array and shifts it on each
 * `flatview_insert`; a chunked array gives the same order without quadratic copying on
 * large trees. Local to a render: it is mutable and never escapes.
 *
 * @module
 */
import type { FlatRange } from './flat-range.js'

const CHUNK = 256

/** A chunked, sorted list of disjoint ranges. */
export class SortedRanges {
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
   * The parts of `[start, end)` that no range covers yet, in address order (the gaps a
   * terminating region fills in `render_memory_region`), flat: `[start0, end0, start1,
   * end1, …]` (no pair allocated per gap).
   */
  gaps(start: bigint, end: bigint): bigint[] {
    const out: bigint[] = []
    let base = start
    let ci = this.chunkAfter(base)
    let i = firstEndingAfter(this.chunks[ci] as FlatRange[], base)
    while (base < end && ci < this.chunks.length) {
      const chunk = this.chunks[ci] as FlatRange[]
      if (i >= chunk.length) {
        ci++
        i = 0
        continue
      }
      const r = chunk[i] as FlatRange
      if (r.start >= end) break
      if (base < r.start) out.push(base, r.start)
      if (r.end > base) base = r.end
      i++
    }
    if (base < end) out.push(base, end)
    return out
  }

  /** Inserts a range that overlaps none already present. */
  insert(r: FlatRange): void {
    const ci = this.chunkAfter(r.start)
    const chunk = this.chunks[ci] as FlatRange[]
    const at = firstEndingAfter(chunk, r.start)
    chunk.splice(at, 0, r)
    if (chunk.length > CHUNK * 2)
      this.chunks.splice(ci, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK))
  }

  /** All ranges in address order. */
  toArray(): FlatRange[] {
    return this.chunks.flat()
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
