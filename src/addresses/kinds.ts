/**
 * Branded address, page and size kinds.
 *
 * A guest-physical address (`Gpa`, QEMU's `hwaddr` in `address_space_memory`), a
 * `ram_addr_t` (`RamAddr`, QEMU's private linear namespace of all RAMBlocks), a host
 * virtual address (`Hva`), a guest frame number (`Gfn`, KVM's and Xen's page number) and an
 * address in a mirror VM (`MirrorGpa`) are all 64-bit integers, and mixing them up is the
 * classic bug this library exists to prevent. Each is a distinct brand over `bigint`:
 * passing a `Gpa` where a `RamAddr` is wanted is a type error. `Size` is a byte count in
 * [0, 2^64] (QEMU's `Int128` region sizes).
 *
 * A page index into a page bitmap (`PageIndex`, `ram_addr_t >> TARGET_PAGE_BITS`) is a brand
 * over `number` instead: a safe non-negative integer, 0 to 2^53 - 1, which holds every page
 * of the 64-bit space in pages of 2 KiB and up (2^64 / 4096 = 2^52 pages of 4 KiB). A plain
 * number is not a `PageIndex`, and neither is any bigint kind; `page.indexOf` and
 * `page.addressOf` convert between `RamAddr` and `PageIndex`. The brand costs nothing at run
 * time: a `PageIndex` is the number itself.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { TWO_64, isSize, isU64 } from './u64.js'

declare const kindTag: unique symbol

/**
 * A bigint (or, for `PageIndex`, a number) tagged with the name of its kind.
 *
 * @category Addresses
 */
export type Kinded<K extends string, B extends bigint | number = bigint> = B & {
  readonly [kindTag]: K
}

/**
 * A guest-physical address: where the guest sees a byte (QEMU `hwaddr`).
 *
 * @category Addresses
 */
export type Gpa = Kinded<'Gpa'>
/**
 * A `ram_addr_t`: QEMU's stable address of a RAMBlock byte (`block->offset + offset`).
 *
 * @category Addresses
 */
export type RamAddr = Kinded<'RamAddr'>
/**
 * A host virtual address in the VMM process (`block->host + offset`).
 *
 * @category Addresses
 */
export type Hva = Kinded<'Hva'>
/**
 * A guest frame number (GPA >> page shift), as KVM and Xen count pages.
 *
 * @category Addresses
 */
export type Gfn = Kinded<'Gfn'>
/**
 * A guest-physical address in a mirror VM's own address space.
 *
 * @category Addresses
 */
export type MirrorGpa = Kinded<'MirrorGpa'>
/**
 * A page index into a page bitmap (`ram_addr_t >> TARGET_PAGE_BITS`): a safe non-negative
 * integer, 0 to 2^53 - 1 (`Number.MAX_SAFE_INTEGER`). A number, not a bigint, so that a
 * bitmap's page arithmetic stays in doubles; a bitmap's own range is narrower (its pages,
 * at most `bitmap.MAX_PAGES` = 2^52).
 *
 * @category Addresses
 */
export type PageIndex = Kinded<'PageIndex', number>
/**
 * A size in bytes, 0 to 2^64 inclusive (QEMU's `Int128` sizes).
 *
 * @category Addresses
 */
export type Size = Kinded<'Size'>

/**
 * Every address kind name.
 *
 * @category Addresses
 */
export type AddressKindName = 'Gpa' | 'RamAddr' | 'Hva' | 'Gfn' | 'MirrorGpa' | 'PageIndex'

/**
 * A value out of range for its kind (a number for `PageIndex`, a bigint for the rest).
 *
 * @category Addresses
 */
export interface OutOfRange {
  readonly _tag: 'OutOfRange'
  readonly kind: AddressKindName | 'Size'
  readonly value: bigint | number
  readonly message: string
}

/**
 * Constructors and a refinement for one kind (over `number` for `PageIndex`, `bigint` for
 * the rest).
 *
 * @category Addresses
 */
export interface KindOps<T extends B, B extends bigint | number = bigint> {
  /** The kind's name, for messages. */
  readonly name: AddressKindName | 'Size'
  /** Whether `n` is in the kind's range. */
  readonly is: (n: B) => n is T
  /** `n` as this kind, or why not. */
  readonly make: (n: B) => E.Either<OutOfRange, T>
  /** `n` as this kind without a check: for values already known to be in range. */
  readonly unsafe: (n: B) => T
}

const kindOps = <T extends bigint>(
  name: AddressKindName | 'Size',
  inRange: (n: bigint) => boolean,
  bound: string,
): KindOps<T> => {
  const is = (n: bigint): n is T => inRange(n)
  return {
    name,
    is,
    make: (n) =>
      is(n)
        ? E.right(n)
        : E.left({
            _tag: 'OutOfRange',
            kind: name,
            value: n,
            message: `${name} ${n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16)} is out of range ${bound}`,
          }),
    unsafe: (n) => n as T,
  }
}

const U64_BOUND = '[0, 2^64)'

/**
 * Guest-physical addresses.
 *
 * @example
 * import { Gpa } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(Gpa.make(0xfffc0000n), either.right(0xfffc0000n))
 * assert.equal(either.isLeft(Gpa.make(1n << 64n)), true)
 *
 * @category Addresses
 */
export const Gpa: KindOps<Gpa> = kindOps('Gpa', isU64, U64_BOUND)
/**
 * `ram_addr_t` values.
 *
 * @category Addresses
 */
export const RamAddr: KindOps<RamAddr> = kindOps('RamAddr', isU64, U64_BOUND)
/**
 * Host virtual addresses.
 *
 * @category Addresses
 */
export const Hva: KindOps<Hva> = kindOps('Hva', isU64, U64_BOUND)
/**
 * Guest frame numbers.
 *
 * @category Addresses
 */
export const Gfn: KindOps<Gfn> = kindOps('Gfn', isU64, U64_BOUND)
/**
 * Mirror-VM guest-physical addresses.
 *
 * @category Addresses
 */
export const MirrorGpa: KindOps<MirrorGpa> = kindOps('MirrorGpa', isU64, U64_BOUND)
/** The largest page index, 2^53 - 1 (`Number.MAX_SAFE_INTEGER`). */
export const MAX_PAGE_INDEX = Number.MAX_SAFE_INTEGER

const isPageIndex = (n: number): n is PageIndex => Number.isSafeInteger(n) && n >= 0

/**
 * Page indexes: safe non-negative integers, 0 to 2^53 - 1. `make` refuses negatives,
 * fractions, NaN, infinities and 2^53 and up (where doubles stop being exact).
 *
 * @example
 * import { PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(PageIndex.make(0x8000), either.right(0x8000))
 * assert.equal(either.isRight(PageIndex.make(2 ** 53 - 1)), true)
 * assert.equal(either.isLeft(PageIndex.make(2 ** 53)), true)
 * assert.equal(either.isLeft(PageIndex.make(1.5)), true)
 *
 * @category Addresses
 */
export const PageIndex: KindOps<PageIndex, number> = {
  name: 'PageIndex',
  is: isPageIndex,
  make: (n) =>
    isPageIndex(n)
      ? E.right(n)
      : E.left({
          _tag: 'OutOfRange',
          kind: 'PageIndex',
          value: n,
          message: `PageIndex ${n} is out of range: not an integer in [0, 2^53 - 1]`,
        }),
  unsafe: (n) => n as PageIndex,
}
/**
 * Sizes: 0 to 2^64 inclusive.
 *
 * @example
 * import { Size } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.equal(either.isRight(Size.make(1n << 64n)), true)
 * assert.equal(either.isLeft(Size.make((1n << 64n) + 1n)), true)
 *
 * @category Addresses
 */
export const Size: KindOps<Size> = kindOps('Size', isSize, '[0, 2^64]')

/**
 * The size of the whole 64-bit space, 2^64 bytes (QEMU's `int128_2_64()`).
 *
 * @category Addresses
 */
export const SIZE_2_64: Size = Size.unsafe(TWO_64)
