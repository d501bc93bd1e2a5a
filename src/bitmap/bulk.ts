/**
 * Set pages and runs out of a bitmap in one call, as typed arrays, for tools that hand pages
 * to other code (roaring's `toUint32Array`): no callback per page, no object per run.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { PageBitmap } from './bitmap.js'
import { allocExport, exportTooLarge, type ExportTooLarge } from './errors.js'
import { listBits32, listWords } from './kernels.js'
import { WORDS, span } from './layout.js'
import { forEachRun } from './runs.js'
import { countNode, eachBlock, heightOf, rootOf } from './tree.js'

/** The longest array exported: 2^32 entries (V8's typed-array limit is near it). */
const MAX_ENTRIES = 2 ** 32

const tooLarge = (bm: PageBitmap, why: string): ExportTooLarge =>
  exportTooLarge(bm.pages, 'the set pages', why)

/** The set pages of `bm` in a new array made by `make`, or why there are too many. */
const exportPages = <A extends Float64Array | Uint32Array>(
  bm: PageBitmap,
  make: (n: number) => A,
  list: (w: Uint32Array, o: number, n: number, base: number, out: A, c: number) => number,
): E.Either<ExportTooLarge, A> => {
  const root = rootOf(bm)
  const h = heightOf(bm)
  const n = countNode(root, h)
  if (n > MAX_ENTRIES) return E.left(tooLarge(bm, `${n} set pages, more than 2^32`))
  return E.map((out: A) => {
    let c = 0
    eachBlock(root, h, 0, (x, k, base) => {
      if (x.tag === 'leaf' || x.tag === 'run') c = list(x.w, x.o, WORDS[k] as number, base, out, c)
      else for (let i = 0, s = span(k); i < s; i++) out[c++] = base + i
    })
    return out
  })(allocExport(bm.pages, 'the set pages', n, make))
}

/**
 * The set pages in increasing order as a `Float64Array` (every page below 2^53 is exact):
 * QEMU's `for_each_set_bit` as one array, for code that takes a list of pages. Or why
 * the list is too long for one array. For bitmaps of at most 2^32 pages,
 * {@link toPageArray32} takes half the memory; to act on each page without a list,
 * `reducePages`; for contiguous dirty memory, {@link toRunArrays}.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = bitmap.fromPages(2 ** 40)([5, 2 ** 39].map(PageIndex.unsafe))
 * const pages = pipe(bm, either.chainW(bitmap.toPageArray))
 * assert.deepEqual(pipe(pages, either.map((a) => [...a])), either.right([5, 2 ** 39]))
 */
export const toPageArray = (bm: PageBitmap): E.Either<ExportTooLarge, Float64Array> =>
  exportPages(bm, (n) => new Float64Array(n), listWords)

/**
 * The set pages in increasing order as a `Uint32Array` (roaring's `toUint32Array`), for a
 * bitmap of at most 2^32 pages; or why not (more pages, or too many set).
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const bm = bitmap.fromPages(4096)([7, 4095, 64].map(PageIndex.unsafe))
 * const pages = pipe(bm, either.chainW(bitmap.toPageArray32))
 * assert.deepEqual(pipe(pages, either.map((a) => [...a])), either.right([7, 64, 4095]))
 * assert.ok(either.isLeft(pipe(bitmap.empty(2 ** 33), either.chainW(bitmap.toPageArray32))))
 */
export const toPageArray32 = (bm: PageBitmap): E.Either<ExportTooLarge, Uint32Array> =>
  bm.pages > 2 ** 32
    ? E.left(tooLarge(bm, 'pages past 2^32 do not fit in 32 bits'))
    : exportPages(bm, (n) => new Uint32Array(n), listBits32)

/**
 * The maximal runs of set pages in increasing order as two arrays, `starts[i]` and
 * `lengths[i]` (a count): the `[start, start + length)` ranges QEMU hands to
 * `cpu_physical_memory_set_dirty_range`, without an object per run. Or why there are too
 * many runs for one array.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const bm = pipe(bitmap.empty(10000), either.chain(bitmap.setRange(p(10), p(20))), either.chain(bitmap.set(p(9999))))
 * const rs = pipe(bm, either.chainW(bitmap.toRunArrays))
 * assert.deepEqual(pipe(rs, either.map((r) => [[...r.starts], [...r.lengths]])), either.right([[10, 9999], [10, 1]]))
 */
export const toRunArrays = (
  bm: PageBitmap,
): E.Either<ExportTooLarge, { readonly starts: Float64Array; readonly lengths: Float64Array }> => {
  let starts: Float64Array = new Float64Array(64)
  let lengths: Float64Array = new Float64Array(64)
  let n = 0
  let over = false
  forEachRun(bm, (s, e) => {
    if (over) return
    if (n === starts.length) {
      if (2 * n > MAX_ENTRIES) {
        over = true
        return
      }
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(2 * n)
        b.set(a)
        return b
      }
      starts = grow(starts)
      lengths = grow(lengths)
    }
    starts[n] = s
    lengths[n] = e - s
    n++
  })
  if (over) return E.left(tooLarge(bm, 'more than 2^32 runs'))
  return E.right({ starts: starts.slice(0, n), lengths: lengths.slice(0, n) })
}
