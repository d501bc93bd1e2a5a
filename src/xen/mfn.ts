/**
 * Machine frame numbers: the host frames that back guest frames.
 *
 * Xen calls the frame a guest frame number (gfn) resolves to through a p2m an `mfn_t`
 * (xen/include/xen/mm-frame.h, `TYPE_SAFE(unsigned long, mfn)`). This project keeps the
 * address kinds of src/addresses for the guest side (`Gfn`) and defines the backing-frame
 * kind here, local to the Xen layer: a branded bigint like the others, so an `Mfn` cannot be
 * passed where a `Gfn` is wanted. Xen's `INVALID_MFN` (~0) is not a value of this kind;
 * "no frame" is an `Option`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { MAX_PAGE_INDEX, PageIndex } from '../addresses/kinds.js'
import { isU64 } from '../addresses/u64.js'

const MAX_PAGE_INDEX_BIG = BigInt(MAX_PAGE_INDEX)

declare const mfnTag: unique symbol

/** A machine frame number (Xen `mfn_t`): a host page backing a guest page. */
export type Mfn = bigint & { readonly [mfnTag]: 'Mfn' }

/** A frame out of `[0, 2^64 - 1)`: out of range, or Xen's `INVALID_MFN`. */
export interface InvalidMfn {
  readonly _tag: 'InvalidMfn'
  readonly value: bigint
  readonly message: string
}

/** Xen's `INVALID_MFN` (`~0UL`): never a frame of this kind. */
export const INVALID_MFN_VALUE = (1n << 64n) - 1n

/** Whether `n` is a valid frame number (64-bit, not `INVALID_MFN`). */
export const isMfn = (n: bigint): n is Mfn => isU64(n) && n !== INVALID_MFN_VALUE

/**
 * `n` as a frame number, or why not.
 *
 * @example
 * import * as xen from 'ramaddr/xen'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(xen.mfn.make(0x1234n), either.right(0x1234n))
 * assert.ok(either.isLeft(xen.mfn.make(-1n)))
 * assert.ok(either.isLeft(xen.mfn.make(xen.mfn.INVALID_MFN_VALUE)))
 */
export const make = (n: bigint): E.Either<InvalidMfn, Mfn> =>
  isMfn(n)
    ? E.right(n)
    : E.left({
        _tag: 'InvalidMfn',
        value: n,
        message:
          n === INVALID_MFN_VALUE
            ? 'mfn 0xffffffffffffffff is INVALID_MFN, not a frame'
            : `mfn ${n < 0n ? '-0x' + (-n).toString(16) : '0x' + n.toString(16)} is out of range [0, 2^64 - 1)`,
      })

/** `n` as a frame number without a check: for values already known to be valid. */
export const unsafe = (n: bigint): Mfn => n as Mfn

/**
 * The page of frame `m` in a frame-keyed bitmap (Xen's log-dirty bitmap has one bit per
 * mfn): the frame number as a `PageIndex`, exact up to 2^53 - 1; a larger frame gives
 * 2^53 - 1, a page no bitmap holds, so a bitmap function refuses it.
 */
export const pageOf = (m: Mfn): PageIndex =>
  PageIndex.unsafe(m > MAX_PAGE_INDEX_BIG ? MAX_PAGE_INDEX : Number(m))

/** The frame of page `p` of a frame-keyed bitmap. */
export const ofPage = (p: PageIndex): Mfn => BigInt(p) as Mfn
