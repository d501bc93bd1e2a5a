/**
 * Bitmaps as little-endian 64-bit words, the layout of KVM's dirty log (`KVM_GET_DIRTY_LOG`,
 * Documentation/virt/kvm/api.rst): page `i` is bit `i % 64` of word `i / 64`, each word
 * stored little-endian, so as bytes page `i` is bit `i % 8` of byte `i / 8`. Exports and
 * imports as `BigUint64Array` (word values) and `Uint8Array` (bytes), and the fold of such a
 * log into a bitmap at a page offset, QEMU's `cpu_physical_memory_set_dirty_lebitmap`
 * (include/exec/ram_addr.h).
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { pipe } from 'fp-ts/lib/function.js'
import type { PageBitmap } from './bitmap.js'
import { empty, widthOf } from './bitmap.js'
import {
  isIndex,
  rangeOutOfBounds,
  type BitmapError,
  type BitmapTooShort,
  type ExportTooLarge,
  type InvalidPageCount,
} from './errors.js'
import {
  FANOUT,
  FULL_LEAF,
  LEAF_BITS,
  LEAF_WORDS,
  LITTLE_ENDIAN,
  ZERO_LEAF,
  allocLeaf,
  canonInner,
  canonLeaf,
  full,
  releaseLeaf,
  span,
  zero,
  type Inner,
  type Leaf,
  type Node,
} from './layout.js'
import { heightOf, walkLeaves, wrap } from './tree.js'

/** A little-endian word bitmap: 64-bit word values, or their little-endian bytes. */
export type LeBitmap = BigUint64Array | Uint8Array

/** The bits a little-endian bitmap holds. */
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

/** Source words `a[0 .. nw)`, to OR into the bitmap's 32-bit words `[g0, g0 + nw)`. */
interface Aligned {
  readonly a: Uint32Array
  readonly g0: number
  readonly nw: number
}

/** The `n` pages of `src` (32-bit LE words) lined up with the bitmap's words from `basePage`. */
const align = (src: Uint32Array, basePage: number, n: number): Aligned => {
  const m = Math.ceil(n / 32)
  const tail = n % 32
  const lastMask = tail === 0 ? 0xffffffff : (1 << tail) - 1
  const s = basePage % 32
  const g0 = Math.floor(basePage / 32)
  if (s === 0) {
    if (tail === 0 || ((src[m - 1] as number) & ~lastMask) === 0) return { a: src, g0, nw: m }
    const a = src.slice(0, m)
    a[m - 1] = (a[m - 1] as number) & lastMask
    return { a, g0, nw: m }
  }
  // Not word-aligned: QEMU takes the bit-by-bit path here; shifting whole words is the
  // same answer.
  const nw = Math.ceil((s + n) / 32)
  const a = new Uint32Array(nw)
  let prev = 0
  for (let k = 0; k < nw; k++) {
    let cur = k < m ? (src[k] as number) : 0
    if (k === m - 1) cur &= lastMask
    a[k] = (cur << s) | (prev >>> (32 - s))
    prev = cur
  }
  return { a, g0, nw }
}

/**
 * One fold in progress: the aligned source, and the leaves allocated for it whose words are
 * still to be copied in — consecutive slots of one slab taking consecutive source words, so
 * that one `TypedArray.prototype.set` fills them all. They are filled before the fold
 * returns, and nothing reads them before that.
 */
interface Fold extends Aligned {
  pendW: Uint32Array
  pendO: number
  pendD: number
  pendN: number
}

/** Copies the source words into the queued leaves. */
const flush = (f: Fold): void => {
  if (f.pendN === 0) return
  f.pendW.set(f.a.subarray(f.pendD, f.pendD + f.pendN * LEAF_WORDS), f.pendO)
  f.pendN = 0
}

/** Whether `a[d .. d + 64)` are all `x` (stops at the first that is not). */
const allAre = (a: Uint32Array, d: number, x: number): boolean => {
  for (let k = d; k < d + LEAF_WORDS; k++) if (a[k] !== x) return false
  return true
}

/** Copies `a[d + lo .. d + hi)` to `ow[oo + lo ..]`; returns the OR of the words copied. */
const copyIn = (
  a: Uint32Array,
  d: number,
  ow: Uint32Array,
  oo: number,
  lo: number,
  hi: number,
): number => {
  let any = 0
  for (let k = lo; k < hi; k++) {
    const y = a[d + k] as number
    any |= y
    ow[oo + k] = y
  }
  return any
}

/**
 * Writes `w[o + k] | a[d + k]` to `ow[oo + k]` for `k` in `[lo, hi)`; returns the bits `a`
 * adds (set in `a`, clear in `w`).
 */
const orIn = (
  w: Uint32Array,
  o: number,
  a: Uint32Array,
  d: number,
  ow: Uint32Array,
  oo: number,
  lo: number,
  hi: number,
): number => {
  let fresh = 0
  for (let k = lo; k < hi; k++) {
    const x = w[o + k] as number
    const y = a[d + k] as number
    fresh |= y & ~x
    ow[oo + k] = x | y
  }
  return fresh
}

/** Copies `w[o + k]` to `ow[oo + k]` for `k` in `[lo, hi)`. */
const copyWords = (
  w: Uint32Array,
  o: number,
  ow: Uint32Array,
  oo: number,
  lo: number,
  hi: number,
): void => {
  for (let k = lo; k < hi; k++) ow[oo + k] = w[o + k] as number
}

/**
 * `leaf` (its first word the bitmap's word `first`) ORed with the source words. A clear
 * leaf the source covers whole becomes a slot queued for one bulk copy (or stays clear, or
 * becomes the shared full leaf); any other leaf is written in one pass while looking for
 * new bits, and given back if there are none, so `leaf` itself is kept.
 */
const foldLeaf = (leaf: Leaf, first: number, f: Fold): Leaf => {
  if (leaf === FULL_LEAF) return leaf
  const { a, g0, nw } = f
  const lo = Math.max(0, g0 - first)
  const hi = Math.min(LEAF_WORDS, g0 + nw - first)
  const d = first - g0
  if (leaf === ZERO_LEAF && lo === 0 && hi === LEAF_WORDS) {
    if (allAre(a, d, 0)) return leaf
    if (allAre(a, d, 0xffffffff)) return FULL_LEAF
    const out = allocLeaf()
    const n = f.pendN
    if (
      n > 0 &&
      out.w === f.pendW &&
      out.o === f.pendO + n * LEAF_WORDS &&
      d === f.pendD + n * LEAF_WORDS
    )
      f.pendN = n + 1
    else {
      flush(f)
      f.pendW = out.w
      f.pendO = out.o
      f.pendD = d
      f.pendN = 1
    }
    return out
  }
  const out = allocLeaf()
  if (leaf === ZERO_LEAF) {
    if (copyIn(a, d, out.w, out.o, lo, hi) === 0) {
      releaseLeaf(out)
      return leaf
    }
    return canonLeaf(out)
  }
  if (orIn(leaf.w, leaf.o, a, d, out.w, out.o, lo, hi) === 0) {
    releaseLeaf(out)
    return leaf
  }
  copyWords(leaf.w, leaf.o, out.w, out.o, 0, lo)
  copyWords(leaf.w, leaf.o, out.w, out.o, hi, LEAF_WORDS)
  return canonLeaf(out)
}

const foldNode = (node: Node, h: number, first: number, f: Fold, width: number): Node => {
  if (node === full(h)) return node
  if (h === 0) return foldLeaf(node as Leaf, first, f)
  const cw = span(h - 1) / 32
  const c0 = Math.max(0, Math.floor((f.g0 - first) / cw))
  const c1 = Math.min(width, Math.ceil((f.g0 + f.nw - first) / cw))
  const inner = node as Inner
  let out: Node[] | undefined
  for (let c = c0; c < c1; c++) {
    const old = inner[c] ?? zero(h - 1)
    const next =
      h === 1
        ? foldLeaf(old as Leaf, first + c * LEAF_WORDS, f)
        : foldNode(old, h - 1, first + c * cw, f, FANOUT)
    if (next !== old) {
      if (out === undefined) {
        out = inner.slice(0, width)
        for (let k = out.length; k < width; k++) out.push(zero(h - 1))
      }
      out[c] = next
    }
  }
  return out === undefined ? node : canonInner(out, h)
}

/**
 * ORs a little-endian word bitmap of `pages` pages (default: all its bits) into `bm` from
 * page `basePage`: QEMU's `cpu_physical_memory_set_dirty_lebitmap`, as `kvm_slot_sync_dirty_pages`
 * folds a memslot's `KVM_GET_DIRTY_LOG` into the `ram_addr_t` dirty bitmap. Bits past
 * `pages` are ignored. A word-aligned `basePage` reads the log in place, as QEMU's fast
 * path does; any other offset shifts it a word at a time. Leaves the log adds nothing to
 * are kept, so folding the same log twice returns the same bitmap. For host pages larger
 * than target pages, fold into a host-page bitmap and use `hostToTarget`.
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // a 128-page memslot at ram_addr_t page 0x100 reports pages 0, 1 and 127 dirty
 * const log = BigUint64Array.of(0b11n, 1n << 63n)
 * const bm = pipe(bitmap.empty(1024), either.chain(bitmap.foldLeBitmap(log, 0x100)))
 * assert.deepEqual(pipe(bm, either.map(bitmap.toPages)), either.right([0x100, 0x101, 0x17f]))
 * // at an unaligned page, and only the first 64 pages of the log
 * const odd = pipe(bitmap.empty(1024), either.chain(bitmap.foldLeBitmap(log, 3, 64)))
 * assert.deepEqual(pipe(odd, either.map(bitmap.toPages)), either.right([3, 4]))
 * assert.ok(either.isLeft(pipe(bm, either.chain(bitmap.foldLeBitmap(log, 1000)))))
 */
export const foldLeBitmap =
  (words: LeBitmap, basePage: number, pages?: number) =>
  (bm: PageBitmap): E.Either<BitmapError, PageBitmap> => {
    const bits = bitsOf(words)
    const n = pages ?? bits
    if (!Number.isInteger(n) || n < 0)
      return E.left({
        _tag: 'InvalidPageCount',
        pages: n,
        message: `a dirty log of ${n} pages: not a page count`,
      })
    if (n > bits) return E.left(tooShort(n, bits))
    if (!isIndex(basePage, bm.pages - n))
      return E.left(rangeOutOfBounds(basePage, basePage + n, bm.pages))
    if (n === 0) return E.right(bm)
    const f: Fold = {
      ...align(toU32(words), basePage, n),
      pendW: ZERO_LEAF.w,
      pendO: 0,
      pendD: 0,
      pendN: 0,
    }
    const h = heightOf(bm)
    const root = foldNode(bm.root, h, 0, f, widthOf(bm.pages, h))
    flush(f)
    return E.right(root === bm.root ? bm : wrap(bm.pages, root))
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
 * import { either } from 'fp-ts'
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
 * import { either } from 'fp-ts'
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
        : foldLeBitmap(words, 0, pages)(bm),
    ),
  )

/** The largest exportable bitmap: 2^35 pages, 4 GiB of words (V8's typed array limit). */
const MAX_EXPORT_PAGES = 2 ** 35

/** The bitmap as little-endian 32-bit words, two per 64-bit word (so whole 64-bit words). */
const exportU32 = (bm: PageBitmap): E.Either<ExportTooLarge, Uint32Array> => {
  const tooLarge = (why: string): E.Either<ExportTooLarge, Uint32Array> =>
    E.left({
      _tag: 'ExportTooLarge',
      pages: bm.pages,
      message: `a bitmap of ${bm.pages} pages cannot be exported as one array: ${why}`,
    })
  if (bm.pages > MAX_EXPORT_PAGES) return tooLarge('more than 2^35 pages')
  const total = Math.ceil(bm.pages / 64) * 2
  let out: Uint32Array
  try {
    out = new Uint32Array(total)
  } catch (e) {
    return tooLarge(e instanceof Error ? e.message : String(e))
  }
  walkLeaves(bm.root, heightOf(bm), 0, 0, Math.ceil(bm.pages / LEAF_BITS), (leaf, li) => {
    const base = li * LEAF_WORDS
    const n = Math.min(LEAF_WORDS, total - base)
    const { w, o } = leaf
    for (let k = 0; k < n; k++) out[base + k] = w[o + k] as number
  })
  return E.right(out)
}

/**
 * The bitmap as little-endian 64-bit word values (`ceil(pages / 64)` words, the padding
 * bits clear): the buffer `KVM_GET_DIRTY_LOG` fills. Or why it is too large for one array.
 *
 * @example
 * import { bitmap } from 'ramaddr'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const words = pipe(bitmap.fromPages(70, [0, 64, 69]), either.chainW(bitmap.toLeWords))
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
 * import { bitmap } from 'ramaddr'
 * import { either } from 'fp-ts'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bytes = pipe(bitmap.fromPages(16, [0, 9, 15]), either.chainW(bitmap.toLeBytes))
 * assert.deepEqual(pipe(bytes, either.map((b) => [...b])), either.right([0x01, 0x82, 0, 0, 0, 0, 0, 0]))
 */
export const toLeBytes = (bm: PageBitmap): E.Either<ExportTooLarge, Uint8Array> =>
  E.map((u: Uint32Array) => {
    if (LITTLE_ENDIAN) return new Uint8Array(u.buffer, 0, u.length * 4)
    const out = new Uint8Array(u.length * 4)
    for (let i = 0; i < out.length; i++) out[i] = ((u[i >>> 2] as number) >>> ((i & 3) * 8)) & 0xff
    return out
  })(exportU32(bm))
