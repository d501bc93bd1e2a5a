/**
 * 64-bit address arithmetic on `bigint`, with QEMU's `Int128` size semantics.
 *
 * QEMU keeps region sizes in an `Int128` so that the system container can be exactly
 * 2^64 bytes long (`memory_region_init` turns a `UINT64_MAX` size into 2^64). Addresses
 * themselves are `hwaddr`/`ram_addr_t`: 64-bit unsigned, so at most 2^64 - 1.
 *
 * @module
 */

/** 2^64: the size of the whole 64-bit address space, and the largest legal size. */
export const TWO_64 = 1n << 64n

/** 2^64 - 1: the largest address (QEMU's `UINT64_MAX`, `RAM_ADDR_MAX`, `HWADDR_MAX`). */
export const U64_MAX = TWO_64 - 1n

/**
 * Whether `n` is a 64-bit address: an integer in [0, 2^64).
 *
 * @example
 * import { isU64 } from 'ramaddr/internal/addresses/u64'
 * import { TWO_64 } from 'ramaddr/internal/addresses/u64'
 * assert.equal(isU64(TWO_64 - 1n), true)
 * assert.equal(isU64(TWO_64), false)
 */
export const isU64 = (n: bigint): boolean => n >= 0n && n < TWO_64

/** Whether `n` is a legal size: an integer in [0, 2^64] (QEMU's `Int128` region sizes). */
export const isSize = (n: bigint): boolean => n >= 0n && n <= TWO_64

/** Wraps `n` to 64 bits, as C arithmetic on `uint64_t` does. */
export const wrapU64 = (n: bigint): bigint => BigInt.asUintN(64, n)

/** The smaller of two bigints. */
export const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b)

/** The larger of two bigints. */
export const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b)

/** Whether `n` is a power of two (1, 2, 4, …). */
export const isPowerOfTwo = (n: bigint): boolean => n > 0n && (n & (n - 1n)) === 0n

/** log2 of a power of two. */
export const log2 = (n: bigint): bigint => BigInt(n.toString(2).length - 1)
