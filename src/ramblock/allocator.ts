/**
 * `find_ram_offset` for many blocks at once: the same answers as {@link findRamOffset}
 * called before each add, in O(log n) per block plus a copy of pointers, where calling it
 * afresh costs a sort of every offset per block (10,000 blocks: seconds).
 *
 * It keeps every block's candidate (its end rounded up to the alignment) with the gap
 * after it, ordered by (gap, list order); the best fit is the first entry whose gap holds
 * the new block. Placing a block at `o` shrinks the gaps of the candidates in `(p, o]`
 * (`p` the highest offset below `o`) and adds the new block's own candidate. List order is
 * (max length descending, then age), which is the order QEMU keeps (`ram_block_add` inserts
 * before the first block with a smaller max length), so it holds only for a list already
 * in that order; the caller checks.
 *
 * @module
 */
import { U64_MAX } from '../addresses/u64.js'
import type { Extent } from './find-ram-offset.js'
import { lowerBound } from './lower-bound.js'

interface Entry {
  readonly candidate: bigint
  gap: bigint
  /** Max length of the block the candidate follows (list order: larger first). */
  readonly max: bigint
  /** Age in list order among equal max lengths (older first). */
  readonly seq: number
}

/** Entry order: smaller gap first, then list order. */
const before = (a: Entry, b: Entry): boolean =>
  a.gap !== b.gap ? a.gap < b.gap : a.max !== b.max ? a.max > b.max : a.seq < b.seq

/** An allocator over the blocks of a list in QEMU's list order. */
export interface Allocator {
  /** The offset for a block of `size` bytes (max length), or undefined when no gap holds it. */
  readonly find: (size: bigint) => bigint | undefined
  /** Records a block of max length `max` placed at `offset` (an answer of `find`, or 0 in an empty list). */
  readonly place: (offset: bigint, max: bigint) => void
}

/** An allocator for `blocks` (in list order, max lengths non-increasing), aligning to `align`. */
export const allocator = (blocks: ReadonlyArray<Extent>, align: bigint): Allocator => {
  const offsets = blocks.map((b) => b.offset).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const byGap: Entry[] = []
  const byCandidate: Entry[] = []
  let seq = 0
  const nextAtOrAbove = (c: bigint): bigint => offsets[lowerBound(offsets, (o) => o < c)] ?? U64_MAX
  const insertEntry = (e: Entry): void => {
    byGap.splice(
      lowerBound(byGap, (x) => before(x, e)),
      0,
      e,
    )
  }
  const addCandidate = (offset: bigint, max: bigint): void => {
    const candidate = ((offset + max + align - 1n) / align) * align
    const s = seq++
    if (candidate > U64_MAX) return
    const e: Entry = { candidate, gap: nextAtOrAbove(candidate) - candidate, max, seq: s }
    insertEntry(e)
    byCandidate.splice(
      lowerBound(byCandidate, (x) => x.candidate < candidate),
      0,
      e,
    )
  }
  for (const b of blocks) addCandidate(b.offset, b.maxLength)
  return {
    find: (size) => {
      if (size <= 0n) return undefined
      if (offsets.length === 0) return 0n
      const e = byGap[lowerBound(byGap, (x) => x.gap < size)]
      return e?.candidate
    },
    place: (offset, max) => {
      const at = lowerBound(offsets, (o) => o < offset)
      const p = at === 0 ? -1n : (offsets[at - 1] as bigint)
      offsets.splice(at, 0, offset)
      // candidates in (p, offset] now end their gap at `offset`
      for (
        let k = lowerBound(byCandidate, (x) => x.candidate <= p);
        k < byCandidate.length && (byCandidate[k] as Entry).candidate <= offset;
        k++
      ) {
        const e = byCandidate[k] as Entry
        const gap = offset - e.candidate
        if (gap === e.gap) continue
        byGap.splice(
          lowerBound(byGap, (x) => before(x, e)),
          1,
        )
        e.gap = gap
        insertEntry(e)
      }
      addCandidate(offset, max)
    },
  }
}
