/**
 * Cutting a bitmap into pieces and writing pieces back: the pages of one RAMBlock out of the
 * `ram_addr_t` dirty bitmap (QEMU keeps them at `block->offset >> TARGET_PAGE_BITS`, and
 * `ramblock_sync_dirty_bitmap` / `cpu_physical_memory_sync_dirty_bitmap` read them from
 * there), and a block's bitmap copied back in place (`bitmap_copy_with_dst_offset`,
 * util/bitmap.c). When the offset is a multiple of a subtree's span, whole subtrees are
 * shared instead of copied; all-clear and all-set stretches cost nothing.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { PageIndex } from '../addresses/kinds.js'
import type { PageBitmap } from './bitmap.js'
import { isIndex, rangeOutOfBounds, type PageRangeOutOfBounds } from './errors.js'
import { shiftWords } from './kernels.js'
import {
  CLEAR,
  FANOUT,
  FULL,
  LEAF_WORDS,
  RUN_HEIGHT,
  WORDS,
  allocLeaf,
  allocRun,
  bitsMask,
  canonInner,
  canonWords,
  copyLeaf,
  heightFor,
  span,
  widthOf,
  type Heap,
  type Node,
  mapKids,
  eachMask,
} from './layout.js'
import { checkRange } from './ranges.js'
import { heapOf, heightOf, nextOf, nodeAt, readWords, rootOf, withRoot, wrap } from './tree.js'

/** What one slice or setSlice works with: the heap, and scratch for a run's source words. */
interface Cut {
  readonly heap: Heap
  readonly t: Uint32Array
}

const cutOf = (heap: Heap): Cut => ({
  heap,
  t: new Uint32Array((WORDS[RUN_HEIGHT] as number) + 1),
})

/** Writes `src`'s pages `[p, p + span(k))` (pages outside it read clear) as words to `w[o ..]`. */
const readPages = (cut: Cut, src: PageBitmap, k: number, p: number, w: Uint32Array, o: number) => {
  const { t } = cut
  const words = WORDS[k] as number
  const s = ((p % 32) + 32) % 32
  const g = (p - s) / 32
  t.fill(0, 0, words + 1)
  readWords(rootOf(src), heightOf(src), 0, g, g + words + 1, t, 0)
  if (s === 0) w.set(t.subarray(0, words), o)
  else shiftWords(w, o, t, 1, words + 1, 32 - s)
}

/**
 * A leaf or run of height `k <= RUN_HEIGHT` whose pages `[0, lim)` are `src`'s pages
 * `[p, p + lim)`, the rest clear (or the shared node): the source's words read in one walk.
 */
const runOf = (cut: Cut, src: PageBitmap, k: number, p: number, lim: number): Node => {
  const x = k === 0 ? allocLeaf(cut.heap) : allocRun(cut.heap, k)
  const { w, o } = x
  const words = WORDS[k] as number
  readPages(cut, src, k, p, w, o)
  if (lim < words * 32) {
    const last = lim >>> 5
    if ((lim & 31) !== 0) w[o + last] = (w[o + last] as number) & bitsMask(0, lim & 31)
    w.fill(0, o + last + ((lim & 31) !== 0 ? 1 : 0), o + words)
  }
  return canonWords(x, k, cut.heap)
}

/** Whether `src` keeps the stretch of height `k` holding page `p` as a run of words. */
const inRun = (src: PageBitmap, k: number, p: number): boolean =>
  k <= heightOf(src) && p < src.pages && nodeAt(rootOf(src), heightOf(src), k, p).tag === 'run'

/**
 * A node of height `k` whose pages `[0, lim)` are `src`'s pages `[p, p + lim)`, the rest
 * clear (`0 <= p`, `lim <= span(k)`, `p + lim <= src.pages`). Where the source keeps the
 * pages as runs (a fold wrote them), the node is a run built from the source's words in one
 * step; elsewhere leaf by leaf, sharing all-clear and all-set stretches.
 */
const view = (
  cut: Cut,
  src: PageBitmap,
  k: number,
  p: number,
  lim: number,
  width: number,
): Node => {
  const s = span(k)
  if (lim <= 0) return CLEAR
  const hs = heightOf(src)
  const set = nextOf(src, p, false)
  if (set < 0 || set >= p + lim) return CLEAR
  if (lim === s && width === FANOUT) {
    const clear = nextOf(src, p, true)
    if (clear < 0 || clear >= p + s) return FULL
    if (p % s === 0) return nodeAt(rootOf(src), hs, k, p)
  }
  if (
    k === 0 ||
    (k <= RUN_HEIGHT && width === FANOUT && (inRun(src, k, p) || inRun(src, k, p + lim - 1)))
  )
    return runOf(cut, src, k, p, lim)
  const cs = span(k - 1)
  const out = new Array<Node>(width)
  for (let c = 0; c < width; c++)
    out[c] = view(cut, src, k - 1, p + c * cs, Math.min(cs, lim - c * cs), FANOUT)
  return canonInner(out)
}

/**
 * The pages `[start, end)` as a bitmap of `end - start` pages (page `start` becomes page 0):
 * one RAMBlock's part of the `ram_addr_t` dirty bitmap. Or why the range is not within `bm`.
 *
 * @example
 * import { bitmap, page, range, RamAddr } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * // pc.bios at ram_addr_t 0x8000000, 256 KiB: pages 0x8000 to 0x8040 of a 0x8060-page bitmap
 * const at = page.indexOf(page.PAGE_4K)
 * const bios = page.pagesTouched(page.PAGE_4K)(range.unsafeFromBounds(RamAddr.unsafe(0x8000000n), 0x8040000n))
 * const all = pipe(
 *   bitmap.empty(0x8060),
 *   either.chain(bitmap.set(at(RamAddr.unsafe(0x8001000n)))),
 *   either.chain(bitmap.set(at(RamAddr.unsafe(0x8050000n)))),
 * )
 * const mine = pipe(all, either.chain(bitmap.slice(bios.start, bios.end)))
 * assert.deepEqual(pipe(mine, either.map((b) => [b.pages, bitmap.toPages(b)])), either.right([0x40, [1]]))
 */
export const slice =
  (start: PageIndex, end: PageIndex) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, PageBitmap> =>
    E.map((b: PageBitmap) => {
      const n = end - start
      const h = heightFor(n)
      const cut = cutOf(heapOf(b))
      return wrap(n, view(cut, b, h, start, n, widthOf(n, h)), cut.heap)
    })(checkRange(start, end, bm))

/**
 * `bm` with pages `[offset, offset + src.pages)` replaced by the pages of `src`: a
 * RAMBlock's bitmap written back at its `ram_addr_t` page (QEMU's
 * `bitmap_copy_with_dst_offset`). Or why `src` does not fit there.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const p = PageIndex.unsafe
 * const block = bitmap.fromPages(10)([p(0), p(9)])
 * assert.ok(either.isRight(block))
 * const bm = pipe(bitmap.full(100), either.chain(bitmap.setSlice(p(50), block.right)))
 * assert.deepEqual(pipe(bm, either.map(bitmap.count)), either.right(92))
 * assert.ok(either.isLeft(pipe(bm, either.chain(bitmap.setSlice(p(91), block.right)))))
 */
export const setSlice =
  (offset: PageIndex, src: PageBitmap) =>
  (bm: PageBitmap): E.Either<PageRangeOutOfBounds, PageBitmap> => {
    const n = src.pages
    if (!isIndex(offset, bm.pages - n))
      return E.left(rangeOutOfBounds(offset, offset + n, bm.pages))
    const end = offset + n
    const heap = heapOf(bm)
    const cut = cutOf(heap)
    const scratch = new Uint32Array(LEAF_WORDS)
    const go = (node: Node, k: number, base: number): Node => {
      const s = span(k)
      if (offset >= base + s || end <= base) return node
      if (offset <= base && base + s <= end) return view(cut, src, k, base - offset, s, FANOUT)
      if (k === 0) {
        const lo = Math.max(offset, base) - base
        const hi = Math.min(end, base + s) - base
        readPages(cut, src, 0, base - offset, scratch, 0)
        const out = copyLeaf(heap, node)
        eachMask(lo, hi, (i, m) => {
          out.w[out.o + i] = ((out.w[out.o + i] as number) & ~m) | ((scratch[i] as number) & m)
        })
        return canonWords(out, 0)
      }
      const cs = span(k - 1)
      const c0 = offset <= base ? 0 : Math.floor((offset - base) / cs)
      const c1 = Math.min(FANOUT, Math.ceil((end - base) / cs))
      return mapKids(node, k, c0, c1, (x, c) => go(x, k - 1, base + c * cs))
    }
    if (n === 0) return E.right(bm)
    return E.right(withRoot(bm, go(rootOf(bm), heightOf(bm), 0)))
  }
