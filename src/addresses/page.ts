/**
 * Page sizes and page arithmetic for any power-of-two page size: 4 KiB target pages
 * (`TARGET_PAGE_SIZE` on x86), host pages, and huge-page RAMBlocks (2 MiB, 1 GiB).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { MAX_PAGE_INDEX, RamAddr, type OutOfRange, type PageIndex } from './kinds.js'
import type { AddrRange } from './range.js'
import { TWO_64, isPowerOfTwo, log2 } from './u64.js'

declare const pageSizeTag: unique symbol

/** A page size: a power of two from 1 to 2^63 bytes. */
export type PageSize = bigint & { readonly [pageSizeTag]: 'PageSize' }

/** A page size that is not a power of two in [1, 2^63]. */
export interface InvalidPageSize {
  readonly _tag: 'InvalidPageSize'
  readonly value: bigint
  readonly message: string
}

/**
 * `n` as a page size, or why not.
 *
 * @example
 * import { page } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.equal(either.isRight(page.pageSize(0x200000n)), true)
 * assert.equal(either.isLeft(page.pageSize(0x3000n)), true)
 */
export const pageSize = (n: bigint): E.Either<InvalidPageSize, PageSize> =>
  isPowerOfTwo(n) && n < TWO_64
    ? E.right(n as PageSize)
    : E.left({
        _tag: 'InvalidPageSize',
        value: n,
        message: `page size 0x${n < 0n ? '-' : ''}${(n < 0n ? -n : n).toString(16)} is not a power of two in [1, 2^63]`,
      })

/** The 4 KiB page: x86's `TARGET_PAGE_SIZE` and host page size. */
export const PAGE_4K = 0x1000n as PageSize
/** The 2 MiB huge page. */
export const PAGE_2M = 0x200000n as PageSize
/** The 1 GiB huge page. */
export const PAGE_1G = 0x40000000n as PageSize

/** The page shift: log2 of the page size (12 for 4 KiB, QEMU's `TARGET_PAGE_BITS`). */
export const pageShift = (ps: PageSize): bigint => log2(ps)

/** `n` rounded down to a page boundary (QEMU `QEMU_ALIGN_DOWN`). */
export const alignDown =
  (ps: PageSize) =>
  <A extends bigint>(n: A): A =>
    (n & ~(ps - 1n)) as A

/**
 * `n` rounded up to a page boundary (QEMU `ROUND_UP`). Returns a plain bigint: rounding
 * the last page of the address space up gives 2^64, a size but not an address.
 */
export const alignUp =
  (ps: PageSize) =>
  (n: bigint): bigint =>
    (n + ps - 1n) & ~(ps - 1n)

/** Whether `n` is a multiple of the page size. */
export const isAligned =
  (ps: PageSize) =>
  (n: bigint): boolean =>
    (n & (ps - 1n)) === 0n

/**
 * The smallest page-aligned range covering `r` (every page that `r` touches).
 *
 * @example
 * import { page, range } from 'ramaddr'
 * import { pipe } from 'fp-ts/lib/function.js'
 * assert.deepEqual(
 *   pipe(range.unsafeFromBounds(0x1234n, 0x2001n), page.roundOut(page.PAGE_4K)),
 *   range.unsafeFromBounds(0x1000n, 0x3000n),
 * )
 */
export const roundOut =
  (ps: PageSize) =>
  <A extends bigint>(r: AddrRange<A>): AddrRange<A> =>
    r.end <= r.start
      ? { start: alignDown(ps)(r.start), end: alignDown(ps)(r.start) }
      : { start: alignDown(ps)(r.start), end: alignUp(ps)(r.end) }

/**
 * The largest page-aligned range inside `r` (only whole pages), or none when `r` holds no
 * whole page. This is the rounding KVM memslots need (`kvm_align_section`).
 */
export const roundIn =
  (ps: PageSize) =>
  <A extends bigint>(r: AddrRange<A>): O.Option<AddrRange<A>> => {
    const start = alignUp(ps)(r.start)
    const end = alignDown(ps)(r.end)
    return start < end ? O.some({ start: start as A, end }) : O.none
  }

const MAX_INDEX_BIG = BigInt(MAX_PAGE_INDEX)

/** `q` as a page index, 2^53 - 1 when it is larger. */
const clampIndex = (q: bigint): PageIndex =>
  (q > MAX_INDEX_BIG ? MAX_PAGE_INDEX : Number(q)) as PageIndex

/**
 * The index of the page holding `addr` (`addr >> page shift`, QEMU's
 * `ram_addr >> TARGET_PAGE_BITS`): the page a bitmap keyed by `ram_addr_t` keeps it at.
 *
 * Total, and exact for every page size of 2 KiB and up: 2^64 / 2^11 = 2^53 pages, so every
 * index fits a {@link PageIndex} (4 KiB pages give at most 2^52 - 1). For smaller page sizes
 * an address at or above 2^53 pages (`2^53 * ps`, the top of the 64-bit space for 1 KiB
 * pages) has an index past 2^53 - 1; such an index saturates at 2^53 - 1, a page no bitmap
 * holds (`bitmap.MAX_PAGES` is 2^52), so a bitmap function given it returns its
 * out-of-range error rather than touching another page.
 *
 * @example
 * import { page, RamAddr } from 'ramaddr'
 * const at = page.indexOf(page.PAGE_4K)
 * assert.equal(at(RamAddr.unsafe(0x8001234n)), 0x8001)
 * assert.equal(at(RamAddr.unsafe(2n ** 64n - 1n)), 2 ** 52 - 1)
 */
export const indexOf = (ps: PageSize): ((addr: RamAddr) => PageIndex) => {
  const shift = pageShift(ps)
  return (addr) => clampIndex(addr >> shift)
}

/**
 * The address of the first byte of page `p` (`p << page shift`, QEMU's
 * `page << TARGET_PAGE_BITS`), or why there is none: the page starts at or past 2^64 (with
 * 4 KiB pages, any index from 2^52 on). Every index {@link indexOf} returns for a page size
 * of 2 KiB and up has an address: `addressOf(ps)(indexOf(ps)(a))` is `alignDown(ps)(a)`.
 *
 * @example
 * import { page, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const addr = page.addressOf(page.PAGE_4K)
 * assert.deepEqual(addr(PageIndex.unsafe(0x8001)), either.right(0x8001000n))
 * assert.equal(either.isLeft(addr(PageIndex.unsafe(2 ** 52))), true)
 */
export const addressOf = (ps: PageSize): ((p: PageIndex) => E.Either<OutOfRange, RamAddr>) => {
  const shift = pageShift(ps)
  return (p) => RamAddr.make(BigInt(p) << shift)
}

/** A range of pages `[start, end)`. */
export interface PageRange {
  readonly start: PageIndex
  readonly end: PageIndex
}

/**
 * The page indexes `[first, last + 1)` that `r` touches: the pages of {@link roundOut}.
 * Exact for page sizes of 2 KiB and up; for smaller ones the bounds saturate as
 * {@link indexOf} does.
 *
 * @example
 * import { page, range, RamAddr } from 'ramaddr'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const r = range.unsafeFromBounds(RamAddr.unsafe(0x1234n), RamAddr.unsafe(0x2001n))
 * assert.deepEqual(pipe(r, page.pagesTouched(page.PAGE_4K)), { start: 1, end: 3 })
 */
export const pagesTouched = (ps: PageSize): ((r: AddrRange<RamAddr>) => PageRange) => {
  const shift = pageShift(ps)
  return (r) => {
    const out = roundOut(ps)(r)
    return { start: clampIndex(out.start >> shift), end: clampIndex(out.end >> shift) }
  }
}
