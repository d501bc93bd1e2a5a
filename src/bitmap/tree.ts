/**
 * The recursive walks over a bitmap's tree that the public operations share (internal).
 * Each takes the node, its height and the first page under it, and matches on the tag.
 *
 * @module
 */
import type { PageBitmap } from './bitmap.js'
import {
  CLEAR,
  FANOUT,
  FULL,
  LEAF_BITS,
  LEAF_WORDS,
  WORDS,
  allEqual,
  canonWords,
  child,
  childIndex,
  copyLeaf,
  ctz,
  heightFor,
  newHeap,
  popWords,
  popcount,
  span,
  type Heap,
  type Full,
  type Node,
  type Words,
  mapKids,
  type Leaf,
  eachMask,
} from './layout.js'
import { firstNonOnes, firstNonZero, popcountWords } from './kernels.js'

/**
 * A bitmap value: its page count, its tree (hidden from the public type), and (private)
 * the heap its updates take words from, shared with the bitmaps it was made from and the
 * ones made from it.
 */
class Bitmap implements PageBitmap {
  readonly _tag = 'PageBitmap'
  readonly #heap: Heap
  constructor(
    readonly pages: number,
    readonly root: Node,
    heap: Heap,
  ) {
    this.#heap = heap
  }

  /** The heap of `bm` (a new one for a bitmap this module did not make). */
  static heapOf(bm: PageBitmap): Heap {
    return bm instanceof Bitmap ? bm.#heap : newHeap()
  }
}

/** The tree of a bitmap (all clear for a bitmap this module did not make). */
export const rootOf = (bm: PageBitmap): Node => (bm instanceof Bitmap ? bm.root : CLEAR)

/** A bitmap of `pages` pages over the tree `root`, taking words from `heap`. */
export const wrap = (pages: number, root: Node, heap: Heap): PageBitmap =>
  new Bitmap(pages, root, heap)

/** The heap a bitmap's updates take words from. */
export const heapOf = (bm: PageBitmap): Heap => Bitmap.heapOf(bm)

/** `bm` with the tree `root`: `bm` itself when the tree is the same. */
export const withRoot = (bm: PageBitmap, root: Node): PageBitmap =>
  root === rootOf(bm) ? bm : wrap(bm.pages, root, heapOf(bm))

/** The height of a bitmap's tree. */
export const heightOf = (bm: PageBitmap): number => heightFor(bm.pages)

/** The words of the shared nodes at height 0, as leaves (never written). */
export const SHARED_LEAF = {
  clear: { tag: 'leaf', w: new Uint32Array(LEAF_WORDS), o: 0 },
  full: { tag: 'leaf', w: new Uint32Array(LEAF_WORDS).fill(0xffffffff), o: 0 },
} as const

/** The words of a height-0 node: a leaf's own, or the shared nodes' constant ones. */
export const leafWords = (leaf: Node): Leaf =>
  leaf.tag === 'leaf' ? leaf : SHARED_LEAF[leaf.tag === 'full' ? 'full' : 'clear']

/** The node of height `k` holding `page` (a page under the root of height `h >= k`). */
export const nodeAt = (root: Node, h: number, k: number, page: number): Node => {
  let n = root
  for (let j = h; j > k && (n.tag === 'inner' || n.tag === 'run'); j--)
    n = child(n, childIndex(page, j), j)
  return n
}

/** Whether `page` is set in the height-0 node `leaf` holding it. */
export const testLeaf = (leaf: Node, page: number): boolean => {
  const { w, o } = leafWords(leaf)
  return (((w[o + ((page & (LEAF_BITS - 1)) >>> 5)] as number) >>> (page & 31)) & 1) === 1
}

/** The height-0 node `leaf` with pages `[lo, hi)` (clipped to the leaf) set or cleared. */
const fillLeaf = (heap: Heap, leaf: Node, lo: number, hi: number, value: boolean): Node => {
  const a = Math.max(0, lo)
  const b = Math.min(LEAF_BITS, hi)
  if (a >= b) return leaf
  const { w, o } = leafWords(leaf)
  let changed = false
  eachMask(a, b, (i, m) => {
    const cur = w[o + i] as number
    changed ||= value ? (~cur & m) !== 0 : (cur & m) !== 0
  })
  if (!changed) return leaf
  const out = copyLeaf(heap, leaf)
  eachMask(a, b, (i, m) => {
    const cur = out.w[out.o + i] as number
    out.w[out.o + i] = value ? cur | m : cur & ~m
  })
  return canonWords(out, 0)
}

/**
 * `node` (height `h`, first page `base`) with the pages of `[start, end)` under it set
 * (`value`) or cleared, taking new words from `heap`.
 */
export const fillNode = (
  heap: Heap,
  node: Node,
  h: number,
  base: number,
  start: number,
  end: number,
  value: boolean,
): Node => {
  const s = span(h)
  if (end <= base || start >= base + s || start >= end) return node
  const target = value ? FULL : CLEAR
  if (node === target) return node
  if (start <= base && base + s <= end) return target
  if (h === 0) return fillLeaf(heap, node, start - base, end - base, value)
  const cs = span(h - 1)
  const c0 = start <= base ? 0 : Math.floor((start - base) / cs)
  const c1 = Math.min(FANOUT, Math.ceil((end - base) / cs))
  return mapKids(node, h, c0, c1, (x, c) =>
    fillNode(heap, x, h - 1, base + c * cs, start, end, value),
  )
}

/** Set pages in the words of a leaf or run of height `h`. */
const popRun = (x: Words, h: number): number =>
  h === 0 ? popWords(x.w, x.o) : popcountWords(x.w, x.o, WORDS[h] as number)

/**
 * Calls `f(x, h, base)` for every leaf, run and all-set node under `node` (height `h`, first
 * page `base`), in increasing order: the walk behind counting and every visitor of set pages.
 */
export const eachBlock = (
  node: Node,
  h: number,
  base: number,
  f: (x: Words | Full, h: number, base: number) => void,
): void => {
  if (node.tag === 'clear') return
  if (node.tag !== 'inner') return f(node, h, base)
  const cs = span(h - 1)
  for (let c = 0; c < FANOUT; c++) eachBlock(child(node, c, h), h - 1, base + c * cs, f)
}

/** Set pages under `node` (height `h`). */
export const countNode = (node: Node, h: number): number => {
  let n = 0
  eachBlock(node, h, 0, (x, k) => {
    n += x.tag === 'full' ? span(k) : popRun(x, k)
  })
  return n
}

/** Set pages of `[start, end)` under `node` (height `h`, first page `base`). */
export const countRangeNode = (
  node: Node,
  h: number,
  base: number,
  start: number,
  end: number,
): number => {
  const s = span(h)
  const lo = Math.max(start, base)
  const hi = Math.min(end, base + s)
  if (lo >= hi || node.tag === 'clear') return 0
  if (node.tag === 'full') return hi - lo
  if (lo === base && hi === base + s) return countNode(node, h)
  if (h === 0) {
    const { w, o } = leafWords(node)
    let n = 0
    eachMask(lo - base, hi - base, (i, m) => {
      n += popcount((w[o + i] as number) & m)
    })
    return n
  }
  const cs = span(h - 1)
  let n = 0
  const c1 = Math.min(FANOUT, Math.ceil((hi - base) / cs))
  for (let c = Math.floor((lo - base) / cs); c < c1; c++)
    n += countRangeNode(child(node, c, h), h - 1, base + c * cs, start, end)
  return n
}

/**
 * The first set (with `clear`, clear) page at or after `from` (`0 <= from < span(h)`) in
 * the words of a leaf or run of height `h`, relative to it, or -1: the first word in
 * JavaScript, the rest by the `firstNonZero` (`firstNonOnes`) kernel.
 */
export const scanWords = (x: Words, h: number, from: number, clear = false): number => {
  const { w, o } = x
  const n = WORDS[h] as number
  const flip = clear ? -1 : 0
  const i = from >>> 5
  const v = ((w[o + i] as number) ^ flip) & (-1 << (from & 31))
  if (v !== 0) return (i << 5) + ctz(v)
  const j = i + 1 >= n ? -1 : (clear ? firstNonOnes : firstNonZero)(w, o, n, i + 1)
  return j < 0 ? -1 : (j << 5) + ctz((w[o + j] as number) ^ flip)
}

/**
 * The first page `>= from` under `node` (height `h`, first page `base`, and
 * `base <= from < base + span(h)`) that is set (`clear`: clear), or -1. Pages past the
 * bitmap's end read as clear: callers compare the answer with the page count.
 */
export const nextIn = (
  node: Node,
  h: number,
  base: number,
  from: number,
  clear: boolean,
): number => {
  switch (node.tag) {
    case 'clear':
      return clear ? from : -1
    case 'full':
      return clear ? -1 : from
    case 'leaf':
    case 'run': {
      const r = scanWords(node, h, from - base, clear)
      return r < 0 ? -1 : base + r
    }
    case 'inner': {
      const cs = span(h - 1)
      for (let c = Math.floor((from - base) / cs); c < FANOUT; c++) {
        const cb = base + c * cs
        const r = nextIn(child(node, c, h), h - 1, cb, from > cb ? from : cb, clear)
        if (r >= 0) return r
      }
      return -1
    }
  }
}

/** The first set (`clear`: clear) page of `bm` at or after `from`, or -1 (see {@link nextIn}). */
export const nextOf = (bm: PageBitmap, from: number, clear: boolean): number =>
  nextIn(rootOf(bm), heightOf(bm), 0, from, clear)

/**
 * Copies the bitmap's words `[lo, hi)` that lie under `node` (height `h`, its first word the
 * bitmap's word `first`) to `out[oo + (g - lo)]` for each such word `g`: all-set subtrees
 * as all-ones words, leaves and runs with one `TypedArray.prototype.set`. All-clear
 * subtrees, and words past the tree, are left as they are in `out` (the caller clears it).
 */
export const readWords = (
  node: Node,
  h: number,
  first: number,
  lo: number,
  hi: number,
  out: Uint32Array,
  oo: number,
): void => {
  const n = WORDS[h] as number
  const a = lo > first ? lo : first
  const b = hi < first + n ? hi : first + n
  if (a >= b) return
  switch (node.tag) {
    case 'clear':
      return
    case 'full':
      out.fill(0xffffffff, oo + a - lo, oo + b - lo)
      return
    case 'leaf':
    case 'run': {
      const { w, o } = node
      // a leaf's 64 words by a loop: a subarray and a call would cost more
      if (b - a > LEAF_WORDS) out.set(w.subarray(o + a - first, o + b - first), oo + a - lo)
      else for (let g = a; g < b; g++) out[oo + g - lo] = w[o + g - first] as number
      return
    }
    case 'inner': {
      const cw = WORDS[h - 1] as number
      const c1 = Math.min(FANOUT, Math.ceil((b - first) / cw))
      for (let c = Math.floor((a - first) / cw); c < c1; c++)
        readWords(child(node, c, h), h - 1, first + c * cw, lo, hi, out, oo)
    }
  }
}

/** Whether two trees of height `h` hold the same pages. */
export const equalNodes = (a: Node, b: Node, h: number): boolean => {
  if (a === b) return true
  if (a.tag === 'inner' || b.tag === 'inner') {
    for (let c = 0; c < FANOUT; c++)
      if (!equalNodes(child(a, c, h), child(b, c, h), h - 1)) return false
    return true
  }
  const n = WORDS[h] as number
  if (a.tag === 'leaf' || a.tag === 'run') {
    if (b.tag === 'leaf' || b.tag === 'run') {
      for (let i = 0; i < n; i++) if (a.w[a.o + i] !== b.w[b.o + i]) return false
      return true
    }
    return allEqual(a.w, a.o, n, b.tag === 'full' ? 0xffffffff : 0)
  }
  // a is shared: equal to b only if b is words all clear (all set) like a
  return b.tag !== 'clear' && b.tag !== 'full' && equalNodes(b, a, h)
}
