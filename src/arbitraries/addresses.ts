/**
 * fast-check arbitraries for address kinds and ranges, weighted toward the edges where
 * address code breaks: 0, 4 GiB, the top of the 64-bit space, ranges that end exactly at
 * 2^64, empty ranges and unaligned ones.
 *
 * @example
 * import { addresses } from 'ramaddr/arbitraries'
 * import { range } from 'ramaddr'
 * import fc from 'fast-check'
 * fc.assert(fc.property(addresses.gpaRange, addresses.gpaRange, (a, b) =>
 *   range.intersect(b)(a)._tag === 'None' || range.overlaps(b)(a)), { numRuns: 200 })
 *
 * @module
 */
import fc from 'fast-check'
import type { Gpa, RamAddr, MirrorGpa } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'

const TWO_64 = 1n << 64n
const EDGES = [0n, 1n, 0xfffn, 0x1000n, (1n << 32n) - 1n, 1n << 32n, TWO_64 - 0x1000n, TWO_64 - 1n]

/** Any 64-bit value, often one of the edges. */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: TWO_64 - 1n }), weight: 3 },
  { arbitrary: fc.constantFrom(...EDGES), weight: 1 },
  { arbitrary: fc.bigInt({ min: 0n, max: 1n << 36n }), weight: 2 },
)

/** A guest-physical address. */
export const gpa: fc.Arbitrary<Gpa> = u64.map((n) => n as Gpa)
/** A `ram_addr_t`. */
export const ramAddr: fc.Arbitrary<RamAddr> = u64.map((n) => n as RamAddr)
/** A mirror-VM guest-physical address. */
export const mirrorGpa: fc.Arbitrary<MirrorGpa> = u64.map((n) => n as MirrorGpa)

/** A 4 KiB-aligned address below 2^64. */
export const pageAligned: fc.Arbitrary<bigint> = fc
  .bigInt({ min: 0n, max: (TWO_64 >> 12n) - 1n })
  .map((p) => p << 12n)

/** A half-open range inside `[0, 2^64]`: empty, tiny, huge, or ending exactly at 2^64. */
export const range: fc.Arbitrary<AddrRange<bigint>> = fc.oneof(
  fc.tuple(u64, u64).map(([a, b]) => (a <= b ? { start: a, end: b } : { start: b, end: a })),
  u64.map((a) => ({ start: a, end: TWO_64 })),
  u64.map((a) => ({ start: a, end: a })),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 1n, max: 0x100000n }))
    .map(([a, n]) => ({ start: a, end: a + n })),
)

/** A GPA range. */
export const gpaRange: fc.Arbitrary<AddrRange<Gpa>> = range as fc.Arbitrary<AddrRange<Gpa>>
