/**
 * Page sizes and page arithmetic for any power-of-two page size: 4 KiB target pages
 * (`TARGET_PAGE_SIZE` on x86), host pages, and huge-page RAMBlocks (2 MiB, 1 GiB).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
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
 * import { either } from 'fp-ts'
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

/** The index of the page holding `addr` (`addr >> page shift`). */
export const pageIndexOf =
  (ps: PageSize) =>
  (addr: bigint): bigint =>
    addr >> pageShift(ps)

/** The range of page indexes `[first, last + 1)` that `r` touches. */
export const pagesTouched =
  (ps: PageSize) =>
  <A extends bigint>(r: AddrRange<A>): AddrRange<bigint> => {
    const out = roundOut(ps)(r)
    return { start: out.start >> pageShift(ps), end: out.end >> pageShift(ps) }
  }
