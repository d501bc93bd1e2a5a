/**
 * io-ts codecs between JSON-friendly text and the address kinds: hex strings
 * (`"0x…"`, case-insensitive, at most 2^64 - 1 for addresses and 2^64 for sizes),
 * ranges as `{ "start": "0x…", "size": "0x…" }`, and page sizes.
 *
 * @module
 */
import * as t from 'io-ts/lib/index.js'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { parseHex, toHex } from './hex.js'
import {
  Gfn,
  Gpa,
  Hva,
  MAX_PAGE_INDEX,
  MirrorGpa,
  PageIndex,
  RamAddr,
  Size,
  type KindOps,
} from './kinds.js'
import { make as makeRange, type AddrRange } from './range.js'
import { pageSize, type PageSize } from './page.js'
import { TWO_64 } from './u64.js'

/**
 * A codec between `0x…` text and one address kind.
 *
 * @example
 * import { codec, Gpa } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const GpaHex = codec.GpaFromHex // hexKind(Gpa)
 * assert.deepEqual(GpaHex.decode('0xFEE00000'), either.right(0xfee00000n))
 * assert.equal(GpaHex.encode(Gpa.unsafe(0xfee00000n)), '0xfee00000')
 */
export const hexKind = <T extends bigint>(kind: KindOps<T>): t.Type<T, string, unknown> =>
  new t.Type<T, string, unknown>(
    `${kind.name}FromHex`,
    (u): u is T => typeof u === 'bigint' && kind.is(u),
    (u, c) =>
      typeof u !== 'string'
        ? t.failure(u, c, `expected a hex string for ${kind.name}`)
        : pipe(
            parseHex(u, kind.name === 'Size' ? TWO_64 : TWO_64 - 1n),
            E.chain((n) =>
              pipe(
                kind.make(n),
                E.mapLeft((e) => e.message),
              ),
            ),
            E.fold(
              (message) => t.failure(u, c, message),
              (n) => t.success(n),
            ),
          ),
    toHex,
  )

/** `0x…` text <-> {@link Gpa}. */
export const GpaFromHex = hexKind(Gpa)
/** `0x…` text <-> {@link RamAddr}. */
export const RamAddrFromHex = hexKind(RamAddr)
/** `0x…` text <-> {@link Hva}. */
export const HvaFromHex = hexKind(Hva)
/** `0x…` text <-> {@link Gfn}. */
export const GfnFromHex = hexKind(Gfn)
/** `0x…` text <-> {@link MirrorGpa}. */
export const MirrorGpaFromHex = hexKind(MirrorGpa)
/**
 * `0x…` text <-> {@link PageIndex}: a page index from hex text up to `0x1fffffffffffff`
 * (2^53 - 1), decoded to a number; encodes back to lowercase hex.
 *
 * @example
 * import { codec, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * assert.deepEqual(codec.PageIndexFromHex.decode('0x8001'), either.right(0x8001))
 * assert.equal(either.isLeft(codec.PageIndexFromHex.decode('0x20000000000000')), true)
 * assert.equal(codec.PageIndexFromHex.encode(PageIndex.unsafe(255)), '0xff')
 */
export const PageIndexFromHex = new t.Type<PageIndex, string, unknown>(
  'PageIndexFromHex',
  (u): u is PageIndex => typeof u === 'number' && PageIndex.is(u),
  (u, c) =>
    typeof u !== 'string'
      ? t.failure(u, c, 'expected a hex string for PageIndex')
      : pipe(
          parseHex(u, BigInt(MAX_PAGE_INDEX)),
          E.fold(
            (message) => t.failure(u, c, message),
            (n) => t.success(PageIndex.unsafe(Number(n))),
          ),
        ),
  (p) => '0x' + p.toString(16),
)
/** `0x…` text <-> {@link Size}, up to `0x10000000000000000` (2^64). */
export const SizeFromHex = hexKind(Size)

/** A range as JSON: start and size in hex. */
export interface AddrRangeJson {
  readonly start: string
  readonly size: string
}

/**
 * A codec between `{ "start": "0x…", "size": "0x…" }` and a range of one kind; the range
 * must end at or below 2^64.
 *
 * @example
 * import { codec, Gpa } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const R = codec.rangeOf(Gpa)
 * assert.deepEqual(R.decode({ start: '0xfffc0000', size: '0x40000' }), either.right({ start: 0xfffc0000n, end: 0x100000000n }))
 * assert.equal(either.isLeft(R.decode({ start: '0x1', size: '0x10000000000000000' })), true)
 */
export const rangeOf = <T extends bigint>(
  kind: KindOps<T>,
): t.Type<AddrRange<T>, AddrRangeJson, unknown> => {
  const Json = t.type({ start: hexKind(kind), size: SizeFromHex })
  return new t.Type<AddrRange<T>, AddrRangeJson, unknown>(
    `AddrRange<${kind.name}>`,
    (u): u is AddrRange<T> =>
      typeof u === 'object' &&
      u !== null &&
      'start' in u &&
      'end' in u &&
      typeof u.start === 'bigint' &&
      typeof u.end === 'bigint' &&
      kind.is(u.start) &&
      u.end >= u.start &&
      u.end <= TWO_64,
    (u, c) =>
      pipe(
        Json.validate(u, c),
        E.chain(({ start, size }) =>
          pipe(
            makeRange(start, size),
            E.fold(
              (e) => t.failure<AddrRange<T>>(u, c, e.message),
              (r) => t.success(r),
            ),
          ),
        ),
      ),
    (r) => ({ start: toHex(r.start), size: toHex(r.end - r.start) }),
  )
}

/**
 * A page size from a hex string (`"0x1000"`) or a JSON number (`4096`); encodes to hex.
 */
export const PageSizeCodec = new t.Type<PageSize, string, unknown>(
  'PageSize',
  (u): u is PageSize => typeof u === 'bigint' && E.isRight(pageSize(u)),
  (u, c) => {
    const n =
      typeof u === 'number' && Number.isSafeInteger(u)
        ? E.right(BigInt(u))
        : typeof u === 'string'
          ? parseHex(u)
          : E.left('expected a page size as a hex string or an integer')
    return pipe(
      n,
      E.chain((v) =>
        pipe(
          pageSize(v),
          E.mapLeft((e) => e.message),
        ),
      ),
      E.fold(
        (message) => t.failure(u, c, message),
        (p) => t.success(p),
      ),
    )
  },
  toHex,
)
