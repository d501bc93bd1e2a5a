/**
 * Half-open address ranges `[start, end)` over any address kind, with QEMU's `AddrRange`
 * semantics: `end` may be 2^64 (a region covering the top of the address space), so a
 * range's size is an `Int128`-style value in [0, 2^64].
 *
 * Operations are data-last so they compose with `pipe`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import type { Ord } from 'fp-ts/lib/Ord.js'
import type { Size } from './kinds.js'
import { TWO_64, isU64, maxBig, minBig } from './u64.js'

/** A half-open range `[start, end)`; `start` is an address of kind `A`, `end` ≤ 2^64. */
export interface AddrRange<A extends bigint = bigint> {
  readonly start: A
  readonly end: bigint
}

/** Why a range could not be built. */
export interface InvalidRange {
  readonly _tag: 'InvalidRange'
  readonly start: bigint
  readonly size: bigint
  readonly message: string
}

const hex = (n: bigint): string => (n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16))

/**
 * The range of `size` bytes from `start`, or why not: `start` must be a 64-bit address,
 * `size` non-negative and `start + size` at most 2^64.
 *
 * @example
 * import { range } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * // the pc.bios window at the top of 4 GiB
 * assert.deepEqual(range.make(0xfffc0000n, 0x40000n), either.right({ start: 0xfffc0000n, end: 0x100000000n }))
 * // the 2^64-byte system container
 * assert.equal(either.isRight(range.make(0n, 1n << 64n)), true)
 * assert.equal(either.isLeft(range.make(1n, 1n << 64n)), true)
 */
export const make = <A extends bigint>(
  start: A,
  size: bigint,
): E.Either<InvalidRange, AddrRange<A>> =>
  !isU64(start) || size < 0n || start + size > TWO_64
    ? E.left({
        _tag: 'InvalidRange',
        start,
        size,
        message: `range ${hex(start)}+${hex(size)} is not within [0, 2^64)`,
      })
    : E.right({ start, end: start + size })

/** `[start, end)` without a check: for bounds already known to be valid. */
export const unsafeFromBounds = <A extends bigint>(start: A, end: bigint): AddrRange<A> => ({
  start,
  end,
})

/** The range's size in bytes (0 to 2^64). */
export const size = <A extends bigint>(r: AddrRange<A>): Size => (r.end - r.start) as Size

/** Whether the range holds no byte. */
export const isEmpty = <A extends bigint>(r: AddrRange<A>): boolean => r.end <= r.start

/** The last address in the range (QEMU's `int128_get64(range_last)`), if any. */
export const last = <A extends bigint>(r: AddrRange<A>): O.Option<A> =>
  isEmpty(r) ? O.none : O.some((r.end - 1n) as A)

/**
 * Whether `addr` lies in the range.
 *
 * @example
 * import { range } from 'ramaddr'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const top = range.unsafeFromBounds(0xfffffffffffff000n, 1n << 64n)
 * assert.equal(pipe(top, range.contains(0xffffffffffffffffn)), true)
 */
export const contains =
  <A extends bigint>(addr: A) =>
  (r: AddrRange<A>): boolean =>
    r.start <= addr && addr < r.end

/** Whether `inner` lies wholly in the range (an empty `inner` lies in every range). */
export const containsRange =
  <A extends bigint>(inner: AddrRange<A>) =>
  (outer: AddrRange<A>): boolean =>
    isEmpty(inner) || (outer.start <= inner.start && inner.end <= outer.end)

/** Whether two ranges share at least one byte. */
export const overlaps =
  <A extends bigint>(b: AddrRange<A>) =>
  (a: AddrRange<A>): boolean =>
    maxBig(a.start, b.start) < minBig(a.end, b.end)

/**
 * The bytes two ranges share, or none.
 *
 * @example
 * import { range } from 'ramaddr'
 * import * as option from 'fp-ts/lib/Option.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const a = range.unsafeFromBounds(0x0n, 0xa0000n)
 * const b = range.unsafeFromBounds(0x9f000n, 0x100000n)
 * assert.deepEqual(pipe(a, range.intersect(b)), option.some(range.unsafeFromBounds(0x9f000n, 0xa0000n)))
 */
export const intersect =
  <A extends bigint>(b: AddrRange<A>) =>
  (a: AddrRange<A>): O.Option<AddrRange<A>> => {
    const start = maxBig(a.start, b.start)
    const end = minBig(a.end, b.end)
    return start < end ? O.some({ start: start as A, end }) : O.none
  }

/**
 * The range clipped to `window`, as QEMU clips a subregion to its container: never larger
 * than either input. A range disjoint from the window clips to an empty range placed at
 * the window edge nearest to it.
 */
export const clip =
  <A extends bigint>(window: AddrRange<A>) =>
  (r: AddrRange<A>): AddrRange<A> => {
    const start = minBig(maxBig(r.start, window.start), window.end)
    return { start: start as A, end: maxBig(minBig(r.end, window.end), start) }
  }

/**
 * The parts of the range not covered by `b`: zero, one or two ranges, in address order.
 *
 * @example
 * import { range } from 'ramaddr'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const ram = range.unsafeFromBounds(0n, 0x100000n)
 * const vga = range.unsafeFromBounds(0xa0000n, 0xc0000n)
 * assert.deepEqual(pipe(ram, range.subtract(vga)), [
 *   range.unsafeFromBounds(0n, 0xa0000n),
 *   range.unsafeFromBounds(0xc0000n, 0x100000n),
 * ])
 */
export const subtract =
  <A extends bigint>(b: AddrRange<A>) =>
  (a: AddrRange<A>): ReadonlyArray<AddrRange<A>> => {
    if (isEmpty(a)) return []
    if (!overlaps(b)(a)) return [a]
    const out: AddrRange<A>[] = []
    if (a.start < b.start) out.push({ start: a.start, end: b.start })
    if (b.end < a.end) out.push({ start: b.end as A, end: a.end })
    return out
  }

/** Whether the two ranges touch end to start (in either order) without overlapping. */
export const isAdjacent =
  <A extends bigint>(b: AddrRange<A>) =>
  (a: AddrRange<A>): boolean =>
    !isEmpty(a) && !isEmpty(b) && (a.end === b.start || b.end === a.start)

/** The smallest range covering both (their convex hull). */
export const hull =
  <A extends bigint>(b: AddrRange<A>) =>
  (a: AddrRange<A>): AddrRange<A> =>
    isEmpty(a)
      ? b
      : isEmpty(b)
        ? a
        : { start: minBig(a.start, b.start) as A, end: maxBig(a.end, b.end) }

/**
 * The same extent re-expressed from another start: `[newStart, newStart + size)`. This is
 * how a GPA range maps onto the `ram_addr_t` range behind it.
 */
export const rebase =
  <B extends bigint>(newStart: B) =>
  <A extends bigint>(r: AddrRange<A>): E.Either<InvalidRange, AddrRange<B>> =>
    make(newStart, size(r))

/**
 * Ranges ordered by start, then by end; its `equals` is equality of ranges (same start and
 * end).
 */
export const getOrd = <A extends bigint>(): Ord<AddrRange<A>> => ({
  equals: (x, y) => x.start === y.start && x.end === y.end,
  compare: (x, y) =>
    x.start < y.start ? -1 : x.start > y.start ? 1 : x.end < y.end ? -1 : x.end > y.end ? 1 : 0,
})
