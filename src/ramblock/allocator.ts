/**
 * `find_ram_offset` for many blocks at once: the same answers as {@link findRamOffset}
 * called before each add, in O(log n) per block (expected: the orders are treaps, see
 * {@link OrderedSet}), where calling it afresh costs a sort of every offset per block
 * (10,000 blocks: seconds) and sorted arrays cost a shift of up to n entries per block.
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
import { OrderedSet } from './ordered-set.js'

interface Entry {
  readonly candidate: bigint
  gap: bigint
  /** Max length of the block the candidate follows (list order: larger first). */
  readonly max: bigint
  /** Age in list order among equal max lengths (older first); unique. */
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

// The orders and searches, as fixed functions: the trees' optimised code never depends on
// closures that die with an allocator.
const less = (a: bigint, b: bigint): boolean => a < b
const byAddress = (a: Entry, b: Entry): boolean =>
  a.candidate !== b.candidate ? a.candidate < b.candidate : a.seq < b.seq
const gapBelow = (e: Entry, size: bigint): boolean => e.gap < size
const candidateAtMost = (e: Entry, addr: bigint): boolean => e.candidate <= addr

/** An allocator for `blocks` (in list order, max lengths non-increasing), aligning to `align`. */
export const allocator = (blocks: ReadonlyArray<Extent>, align: bigint): Allocator => {
  const offsets = new OrderedSet<bigint>(less)
  for (const b of blocks) offsets.insert(b.offset)
  const byGap = new OrderedSet<Entry>(before)
  const byCandidate = new OrderedSet<Entry>(byAddress)
  const alignLess1 = align - 1n
  let seq = 0
  const shrunk: Entry[] = []
  const addCandidate = (offset: bigint, max: bigint): void => {
    const candidate = ((offset + max + alignLess1) / align) * align
    const s = seq++
    if (candidate > U64_MAX) return
    const next = offsets.firstNot(less, candidate) ?? U64_MAX
    const e: Entry = { candidate, gap: next - candidate, max, seq: s }
    byGap.insert(e)
    byCandidate.insert(e)
  }
  for (const b of blocks) addCandidate(b.offset, b.maxLength)
  return {
    find: (size) => {
      if (size <= 0n) return undefined
      if (offsets.size === 0) return 0n
      return byGap.firstNot(gapBelow, size)?.candidate
    },
    place: (offset, max) => {
      const low = offsets.lastWhere(less, offset) ?? -1n
      offsets.insert(offset)
      // candidates in (low, offset] now end their gap at `offset`
      shrunk.length = 0
      byCandidate.run(candidateAtMost, low, offset, shrunk)
      for (const e of shrunk) {
        const gap = offset - e.candidate
        if (gap === e.gap) continue
        byGap.delete(e)
        e.gap = gap
        byGap.insert(e)
      }
      addCandidate(offset, max)
    },
  }
}
