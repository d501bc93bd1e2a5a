/**
 * Bitmaps as little-endian 64-bit words, the layout of KVM's dirty log (`KVM_GET_DIRTY_LOG`,
 * Documentation/virt/kvm/api.rst): page `i` is bit `i % 64` of word `i / 64`, each word
 * stored little-endian, so as bytes page `i` is bit `i % 8` of byte `i / 8`. Exports and
 * imports as `BigUint64Array` (word values) and `Uint8Array` (bytes), and the fold of such a
 * log into a bitmap at a page offset (a {@link LeFold}: `{ words, base, pages? }`), QEMU's
 * `cpu_physical_memory_set_dirty_lebitmap` (include/exec/ram_addr.h).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import { empty } from './bitmap.js'
import {
  isIndex,
  rangeOutOfBounds,
  type BitmapError,
  type BitmapTooShort,
  allocExport,
  exportTooLarge,
  type ExportTooLarge,
  type InvalidPageCount,
} from './errors.js'
import { LITTLE_ENDIAN, RUN_HEIGHT, WORDS, type Node } from './layout.js'
import { foldWords } from './fold.js'
import { shiftWords } from './kernels.js'
import { heapOf, heightOf, readWords, rootOf, withRoot } from './tree.js'

/** A little-endian word bitmap: 64-bit word values, or their little-endian bytes. */
export type LeBitmap = BigUint64Array | Uint8Array

/** The pages (bits) a little-endian bitmap holds: 64 per word, 8 per byte. */
export const bitsOf = (words: LeBitmap): number =>
  words instanceof BigUint64Array ? words.length * 64 : words.length * 8

/**
 * The bitmap as little-endian 32-bit words: bit `i` is bit `i % 32` of word `i / 32`. A view
 * of the caller's memory when the layout allows (read only here), else a copy.
 */
const toU32 = (words: LeBitmap): Uint32Array => {
  if (words instanceof BigUint64Array) {
    if (LITTLE_ENDIAN) return new Uint32Array(words.buffer, words.byteOffset, words.length * 2)
    const out = new Uint32Array(words.length * 2)
    for (let i = 0; i < words.length; i++) {
      const v = words[i] as bigint
      out[2 * i] = Number(v & 0xffffffffn)
      out[2 * i + 1] = Number(v >> 32n)
    }
    return out
  }
  if (LITTLE_ENDIAN && words.byteOffset % 4 === 0 && words.length % 4 === 0)
    return new Uint32Array(words.buffer, words.byteOffset, words.length / 4)
  const out = new Uint32Array(Math.ceil(words.length / 4))
  for (let i = 0; i < words.length; i++)
    out[i >>> 2] = (out[i >>> 2] as number) | ((words[i] as number) << ((i & 3) * 8))
  return out
}

/**
 * Source words shifted per chunk of an unaligned fold: 32768, the words of a node of eight
 * runs, which the fold writes in one step when a chunk covers it whole.
 */
const CHUNK_WORDS = WORDS[RUN_HEIGHT + 1] as number

/**
 * The tree of `bm` with the `n` pages of `src` (32-bit LE words, `n >= 1`) ORed in from page
 * `basePage`. At a word-aligned `basePage` the source is read in place, as QEMU's fast path
 * does; at any other offset it is shifted a chunk of words at a time into a scratch array
 * (QEMU goes bit by bit here; shifting whole words is the same answer).
 */
const foldU32 = (bm: PageBitmap, src: Uint32Array, basePage: number, n: number): Node => {
  const h = heightOf(bm)
  const heap = heapOf(bm)
  const m = Math.ceil(n / 32)
  const tail = n % 32
  const lastMask = tail === 0 ? -1 : (1 << tail) - 1
  const last = (src[m - 1] as number) & lastMask
  const s = basePage % 32
  const g0 = Math.floor(basePage / 32)
  if (s === 0) {
    if (last === src[m - 1]) return foldWords(heap, rootOf(bm), h, src, g0, g0, g0 + m)
    const root = foldWords(heap, rootOf(bm), h, src, g0, g0, g0 + m - 1)
    return foldWords(heap, root, h, Uint32Array.of(last), g0 + m - 1, g0 + m - 1, g0 + m)
  }
  // source word j, its bits past page n cleared, and 0 past the end
  const word = (j: number): number => (j < m - 1 ? (src[j] as number) : j === m - 1 ? last : 0)
  const nw = Math.ceil((s + n) / 32)
  const scratch = new Uint32Array(Math.min(CHUNK_WORDS, nw))
  const r = 32 - s
  let root = rootOf(bm)
  // chunks end on multiples of CHUNK_WORDS bitmap words, so whole nodes of runs are folded as such
  for (let j0 = 0; j0 < nw;) {
    const j1 = Math.min(nw, (Math.floor((g0 + j0) / CHUNK_WORDS) + 1) * CHUNK_WORDS - g0)
    // scratch[j - j0] = bitmap word g0 + j = (word(j) << s) | (word(j - 1) >>> r)
    const inner = Math.min(j1, m - 1)
    let j = j0
    if (j === 0) {
      scratch[0] = word(0) << s
      j = 1
    }
    if (j < inner) shiftWords(scratch, j - j0, src, j, inner, s)
    j = Math.max(j, inner)
    for (; j < j1; j++) scratch[j - j0] = (word(j) << s) | (word(j - 1) >>> r)
    root = foldWords(heap, root, h, scratch, g0 + j0, g0 + j0, g0 + j1)
    j0 = j1
  }
  return root
}

/**
 * A dirty log to fold into a bitmap, in the one convention every fold of a little-endian
 * log takes (`bitmap.foldLeBitmap`, `dirty.memory.setDirtyLebitmap`,
 * `kvm.kernel.clearDirtyLog`): bit `i` of `words` is page `base + i`.
 */
export interface LeFold {
  /** The log: little-endian 64-bit words (`KVM_GET_DIRTY_LOG`'s buffer) or their bytes. */
  readonly words: LeBitmap
  /**
   * The page that bit 0 of the log lands on (QEMU's `start >> TARGET_PAGE_BITS`); for a
   * `ram_addr_t`, `page.indexOf(ps)(ramAddr)`.
   */
  readonly base: PageIndex
  /** How many pages (bits) of the log to fold, a count: by default all its bits. */
  readonly pages?: number
}

/**
 * ORs a little-endian dirty log into `bm`: bit `i` of `log.words` sets page
 * `log.base + i`, for the first `log.pages` bits (default: all of them; the rest are
 * ignored). QEMU's `cpu_physical_memory_set_dirty_lebitmap`, as
 * `kvm_slot_sync_dirty_pages` folds a memslot's `KVM_GET_DIRTY_LOG` into the `ram_addr_t`
 * dirty bitmap. A word-aligned `base` reads the log in place, as QEMU's fast path does; any
 * other offset shifts it into a scratch array 128 KiB at a time. Leaves the log adds
 * nothing to are kept, so folding the same log twice returns the same bitmap. For host
 * pages larger than target pages, fold into a host-page bitmap and use `hostToTarget` (or
 * `dirty.memory.setDirtyLebitmap`, which does). Or why the log does not fit.
 *
 * @example
 * import { bitmap, page, RamAddr, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // a 128-page memslot at ram_addr_t 0x100000 (page 0x100) reports pages 0, 1 and 127 dirty
 * const words = BigUint64Array.of(0b11n, 1n << 63n)
 * const base = page.indexOf(page.PAGE_4K)(RamAddr.unsafe(0x100000n))
 * const bm = pipe(bitmap.empty(1024), either.chain(bitmap.foldLeBitmap({ words, base })))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([0x100, 0x101, 0x17f]))
 * // at an unaligned page, and only the first 64 pages of the log
 * const odd = pipe(bitmap.empty(1024), either.chain(bitmap.foldLeBitmap({ words, base: PageIndex.unsafe(3), pages: 64 })))
 * assert.deepEqual(pipe(odd, either.map(bitmap.toPages)), either.right([3, 4]))
 * assert.ok(either.isLeft(pipe(bm, either.chain(bitmap.foldLeBitmap({ words, base: PageIndex.unsafe(1000) })))))
 */
export const foldLeBitmap =
  (log: LeFold) =>
  (bm: PageBitmap): E.Either<BitmapError, PageBitmap> => {
    const { words, base } = log
    const bits = bitsOf(words)
    const n = log.pages ?? bits
    if (!Number.isInteger(n) || n < 0)
      return E.left({
        _tag: 'InvalidPageCount',
        pages: n,
        message: `a dirty log of ${n} pages: not a page count`,
      })
    if (n > bits) return E.left(tooShort(n, bits))
    if (!isIndex(base, bm.pages - n)) return E.left(rangeOutOfBounds(base, base + n, bm.pages))
    if (n === 0) return E.right(bm)
    return E.right(withRoot(bm, foldU32(bm, toU32(words), base, n)))
  }

const tooShort = (pages: number, bits: number): BitmapTooShort => ({
  _tag: 'BitmapTooShort',
  pages,
  bits,
  message: `a little-endian bitmap of ${bits} bits cannot describe ${pages} pages`,
})

/**
 * The bitmap of `pages` pages that a little-endian word bitmap describes (its bits past
 * `pages` ignored): a `KVM_GET_DIRTY_LOG` result read as a value. Or why not.
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = bitmap.fromLeWords(70)(BigUint64Array.of(1n << 5n, 1n << 5n))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([5, 69]))
 * assert.ok(either.isLeft(bitmap.fromLeWords(129)(BigUint64Array.of(0n, 0n))))
 */
export const fromLeWords =
  (pages: number) =>
  (words: BigUint64Array): E.Either<BitmapError, PageBitmap> =>
    fromLe(pages, words)

/**
 * The bitmap of `pages` pages that little-endian bitmap bytes describe (page `i` is bit
 * `i % 8` of byte `i / 8`), or why not.
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = bitmap.fromLeBytes(12)(Uint8Array.of(0x81, 0x08))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([0, 7, 11]))
 */
export const fromLeBytes =
  (pages: number) =>
  (bytes: Uint8Array): E.Either<BitmapError, PageBitmap> =>
    fromLe(pages, bytes)

const fromLe = (
  pages: number,
  words: LeBitmap,
): E.Either<InvalidPageCount | BitmapError, PageBitmap> =>
  pipe(
    empty(pages),
    E.chainW((bm) =>
      bitsOf(words) < pages
        ? E.left(tooShort(pages, bitsOf(words)))
        : foldLeBitmap({ words, base: PageIndex.unsafe(0), pages })(bm),
    ),
  )

/** The largest exportable bitmap: 2^35 pages, 4 GiB of words (V8's typed array limit). */
const MAX_EXPORT_PAGES = 2 ** 35

/** The bitmap as little-endian 32-bit words, two per 64-bit word (so whole 64-bit words). */
const exportU32 = (bm: PageBitmap): E.Either<ExportTooLarge, Uint32Array> => {
  if (bm.pages > MAX_EXPORT_PAGES)
    return E.left(exportTooLarge(bm.pages, 'the words', 'more than 2^35 pages'))
  const total = Math.ceil(bm.pages / 64) * 2
  return E.map((out: Uint32Array) => {
    readWords(rootOf(bm), heightOf(bm), 0, 0, total, out, 0)
    return out
  })(allocExport(bm.pages, 'the words', total, (n) => new Uint32Array(n)))
}

/**
 * The bitmap as little-endian 64-bit word values (`ceil(pages / 64)` words, the padding
 * bits clear): the buffer `KVM_GET_DIRTY_LOG` fills. Or why it is too large for one array.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const words = pipe(bitmap.fromPages(70)([0, 64, 69].map(PageIndex.unsafe)), either.chainW(bitmap.toLeWords))
 * assert.deepEqual(pipe(words, either.map((w) => [...w])), either.right([1n, 0b100001n]))
 */
export const toLeWords = (bm: PageBitmap): E.Either<ExportTooLarge, BigUint64Array> =>
  E.map((u: Uint32Array) => {
    if (LITTLE_ENDIAN) return new BigUint64Array(u.buffer, 0, u.length / 2)
    const out = new BigUint64Array(u.length / 2)
    for (let i = 0; i < out.length; i++)
      out[i] = (BigInt(u[2 * i + 1] as number) << 32n) | BigInt(u[2 * i] as number)
    return out
  })(exportU32(bm))

/**
 * The bitmap as little-endian bytes (`8 * ceil(pages / 64)` bytes: whole 64-bit words, as
 * KVM's dirty log), or why it is too large for one array.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bytes = pipe(bitmap.fromPages(16)([0, 9, 15].map(PageIndex.unsafe)), either.chainW(bitmap.toLeBytes))
 * assert.deepEqual(pipe(bytes, either.map((b) => [...b])), either.right([0x01, 0x82, 0, 0, 0, 0, 0, 0]))
 */
export const toLeBytes = (bm: PageBitmap): E.Either<ExportTooLarge, Uint8Array> =>
  E.map((u: Uint32Array) => {
    if (LITTLE_ENDIAN) return new Uint8Array(u.buffer, 0, u.length * 4)
    const out = new Uint8Array(u.length * 4)
    for (let i = 0; i < out.length; i++) out[i] = ((u[i >>> 2] as number) >>> ((i & 3) * 8)) & 0xff
    return out
  })(exportU32(bm))
