/**
 * QEMU's `ram_addr_t` allocator: `find_ram_offset` in softmmu/physmem.c (7.2).
 *
 * - An empty list allocates at 0.
 * - Otherwise the only candidates are block ends, each rounded up to a bitmap word of
 *   target pages (`BITS_PER_LONG << TARGET_PAGE_BITS` = 64 pages = 256 KiB for 4 KiB
 *   pages), so that dirty-bitmap syncs take the word-at-a-time path.
 * - The gap after a candidate runs to the lowest block offset at or above it, or to
 *   `RAM_ADDR_MAX` (2^64 - 1) when none is.
 * - Best fit: the smallest gap that holds `size` wins; on equal gaps the first candidate
 *   in list order (the list is kept in descending `max_length`) wins.
 * - The hole below the lowest block is never a candidate, so freeing the block at 0 does
 *   not make offset 0 reusable.
 *
 * One deliberate difference: where QEMU's 64-bit `offset + max_length` would wrap past
 * 2^64, this model treats the candidate as unusable instead of wrapping to 0.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { RamAddr } from '../addresses/kinds.js'
import { U64_MAX } from '../addresses/u64.js'
import { lowerBound } from './lower-bound.js'

/** What the allocator needs to know of a block (internal: the allocators' input). */
export interface Extent {
  readonly offset: bigint
  readonly maxLength: bigint
}

/**
 * The offset QEMU would give a new block of `size` bytes (its max length), among
 * `blocks` in RAM-list order, with candidates rounded up to `align` bytes; none when no gap
 * fits.
 *
 * @example
 * import { ramblock } from 'ramaddr'
 * import * as option from 'fp-ts/lib/Option.js'
 * // pc.ram (128 MiB) and pc.bios (256 KiB) are placed; pc.rom (128 KiB) goes after pc.bios
 * const blocks = [
 *   { offset: 0n, maxLength: 0x8000000n },
 *   { offset: 0x8000000n, maxLength: 0x40000n },
 * ]
 * assert.deepEqual(ramblock.findRamOffset(0x40000n, 0x20000n)(blocks), option.some(0x8040000n))
 */
export const findRamOffset =
  (align: bigint, size: bigint) =>
  (
    blocks: ReadonlyArray<{ readonly offset: bigint; readonly maxLength: bigint }>,
  ): O.Option<RamAddr> => {
    if (size <= 0n) return O.none
    if (blocks.length === 0) return O.some(0n as RamAddr)
    // offsets in ascending order, to find each candidate's following block by bisection
    const offsets = blocks.map((b) => b.offset).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const nextAtOrAbove = (c: bigint): bigint =>
      offsets[lowerBound(offsets, (o) => o < c)] ?? U64_MAX
    let best: bigint | undefined
    let mingap = U64_MAX
    for (const block of blocks) {
      const candidate = ((block.offset + block.maxLength + align - 1n) / align) * align
      if (candidate > U64_MAX) continue
      const next = nextAtOrAbove(candidate)
      const gap = next - candidate
      if (gap >= size && gap < mingap) {
        best = candidate
        mingap = gap
      }
    }
    return best === undefined ? O.none : O.some(best as RamAddr)
  }
