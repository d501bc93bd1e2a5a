/**
 * The recursive walks over a bitmap's tree that the public operations share (internal):
 * finding a leaf, filling a range, counting, searching for the next set or clear page,
 * visiting leaves and comparing trees. Each takes the node, its height and the first page
 * under it, and uses the shared all-clear and all-set subtrees as shortcuts.
 *
 * @module
 */
import type { PageBitmap } from './bitmap.js'
import {
  FANOUT,
  FULL_LEAF,
  LEAF_BITS,
  LEAF_SHIFT,
  LEAF_WORDS,
  WORDS,
  ZERO_LEAF,
  bitsMask,
  canonInner,
  canonLeaf,
  child,
  childIndex,
  copyLeaf,
  ctz,
  full,
  heightFor,
  isInner,
  popWords,
  popcount,
  span,
  childCount,
  zero,
  type Leaf,
  type Node,
  type Slots,
} from './layout.js'
import { firstNonOnes, firstNonZero, popcountWords } from './kernels.js'

/** A bitmap of `pages` pages over the tree `root`. */
export const wrap = (pages: number, root: Node): PageBitmap => ({ _tag: 'PageBitmap', pages, root })

/** The height of a bitmap's tree. */
export const heightOf = (bm: PageBitmap): number => heightFor(bm.pages)

/**
 * A copy of the node `node` (height `h`) as an inner node with `width` children, to be
 * changed: the same children (offsets and home slab kept as they are), or for a run, its
 * eight parts as offsets into its slab.
 */
export const copyInner = (node: Node, width: number, h: number): Slots => {
  if (!isInner(node)) {
    const out: Slots = new Array<Node | number | Uint32Array>(FANOUT + 1)
    const cw = WORDS[h - 1] as number
    for (let c = 0; c < FANOUT; c++) out[c] = node.o + c * cw
    out[FANOUT] = node.w
    return out
  }
  const n = childCount(node)
  const out: Slots = new Array<Node | number | Uint32Array>(
    node.length > FANOUT ? FANOUT + 1 : width,
  )
  for (let c = 0; c < width; c++) out[c] = c < n ? (node[c] as Node | number) : zero(h - 1)
  if (node.length > FANOUT) out[FANOUT] = node[FANOUT] as Uint32Array
  return out
}

/** The leaf holding pages `[li * 2048, (li + 1) * 2048)`: the all-clear leaf beyond the tree. */
export const leafAt = (root: Node, h: number, li: number): Leaf => {
  if (li < 0 || li * LEAF_BITS >= span(h)) return ZERO_LEAF
  const page = li * LEAF_BITS
  let n = root
  for (let k = h; k > 0; k--) {
    if (!isInner(n)) return { w: n.w, o: n.o + ((page % span(k)) >>> LEAF_SHIFT) * LEAF_WORDS }
    n = child(n, childIndex(page, k), k)
  }
  return n as Leaf
}

/** The node of height `k` holding `page` (a page under the root of height `h >= k`). */
export const nodeAt = (root: Node, h: number, k: number, page: number): Node => {
  let n = root
  for (let j = h; j > k; j--) n = child(n, childIndex(page, j), j)
  return n
}

/** Whether `page` (under the root) is set. */
export const getBit = (root: Node, h: number, page: number): boolean => {
  const { w, o } = leafAt(root, h, Math.floor(page / LEAF_BITS))
  return (((w[o + ((page & (LEAF_BITS - 1)) >>> 5)] as number) >>> (page & 31)) & 1) === 1
}

/** `leaf` with pages `[lo, hi)` (leaf-relative, clipped to the leaf) set or cleared. */
const fillLeaf = (leaf: Leaf, lo: number, hi: number, value: boolean): Leaf => {
  const a = Math.max(0, lo)
  const b = Math.min(LEAF_BITS, hi)
  if (a >= b) return leaf
  const wl = a >>> 5
  const wh = (b - 1) >>> 5
  const { w, o } = leaf
  let changed = false
  for (let i = wl; i <= wh && !changed; i++) {
    const m = bitsMask(i === wl ? a & 31 : 0, i === wh ? b - (wh << 5) : 32)
    const cur = w[o + i] as number
    changed = value ? (~cur & m) !== 0 : (cur & m) !== 0
  }
  if (!changed) return leaf
  const out = copyLeaf(leaf)
  const ow = out.w
  const oo = out.o
  for (let i = wl; i <= wh; i++) {
    const m = bitsMask(i === wl ? a & 31 : 0, i === wh ? b - (wh << 5) : 32)
    const cur = ow[oo + i] as number
    ow[oo + i] = value ? cur | m : cur & ~m
  }
  return canonLeaf(out)
}

/**
 * `node` (height `h`, first page `base`, `width` children if inner) with the pages of
 * `[start, end)` under it set (`value`) or cleared.
 */
export const fillNode = (
  node: Node,
  h: number,
  base: number,
  start: number,
  end: number,
  value: boolean,
  width: number,
): Node => {
  const s = span(h)
  if (end <= base || start >= base + s || start >= end) return node
  const target = value ? full(h) : zero(h)
  if (node === target) return node
  if (start <= base && base + s <= end) return target
  if (h === 0) return fillLeaf(node as Leaf, start - base, end - base, value)
  const cs = span(h - 1)
  const c0 = start <= base ? 0 : Math.floor((start - base) / cs)
  const c1 = Math.min(width, Math.ceil((end - base) / cs))
  let out: Slots | undefined
  for (let c = c0; c < c1; c++) {
    const old = child(node, c, h)
    const next = fillNode(old, h - 1, base + c * cs, start, end, value, FANOUT)
    if (next !== old) {
      out ??= copyInner(node, width, h)
      out[c] = next
    }
  }
  return out === undefined ? node : canonInner(out, h)
}

/** Set pages in a leaf. */
export const popLeaf = (leaf: Leaf): number =>
  leaf === ZERO_LEAF ? 0 : leaf === FULL_LEAF ? LEAF_BITS : popWords(leaf.w, leaf.o)

/** Set pages in the run `w[o .. o + words)`. */
const popRun = (w: Uint32Array, o: number, words: number): number =>
  words === LEAF_WORDS ? popWords(w, o) : popcountWords(w, o, words)

/**
 * Set pages under `node` (height `h`). Runs stored as consecutive offsets of one home slab
 * are counted as one stretch of words.
 */
export const countNode = (node: Node, h: number): number => {
  if (!isInner(node)) return h === 0 ? popLeaf(node) : popRun(node.w, node.o, WORDS[h] as number)
  if (node === zero(h)) return 0
  if (node === full(h)) return span(h)
  let n = 0
  const width = childCount(node)
  const cw = WORDS[h - 1] as number
  let start = -1
  let end = -1
  for (let c = 0; c < width; c++) {
    const x = node[c]
    if (typeof x === 'number') {
      if (x !== end) {
        if (start >= 0) n += popRun(node[FANOUT] as Uint32Array, start, end - start)
        start = x
      }
      end = x + cw
    } else n += countNode(x as Node, h - 1)
  }
  if (start >= 0) n += popRun(node[FANOUT] as Uint32Array, start, end - start)
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
  if (lo >= hi || node === zero(h)) return 0
  if (node === full(h)) return hi - lo
  if (lo === base && hi === base + s) return countNode(node, h)
  if (h === 0) {
    const { w, o } = node as Leaf
    const a = lo - base
    const b = hi - base
    const wl = a >>> 5
    const wh = (b - 1) >>> 5
    let n = 0
    for (let i = wl; i <= wh; i++)
      n += popcount(
        (w[o + i] as number) & bitsMask(i === wl ? a & 31 : 0, i === wh ? b - (wh << 5) : 32),
      )
    return n
  }
  const cs = span(h - 1)
  let n = 0
  const c1 = Math.min(isInner(node) ? childCount(node) : FANOUT, Math.ceil((hi - base) / cs))
  for (let c = Math.floor((lo - base) / cs); c < c1; c++)
    n += countRangeNode(child(node, c, h), h - 1, base + c * cs, start, end)
  return n
}

/**
 * The first set page at or after `from` (`0 <= from < 2048`) in `leaf`, leaf-relative, or -1.
 * Clear words are skipped eight at a time.
 */
export const scanLeaf = (leaf: Leaf, from: number): number => {
  const { w, o } = leaf
  let i = from >>> 5
  let x = (w[o + i] as number) & (-1 << (from & 31))
  if (x !== 0) return (i << 5) + 31 - Math.clz32(x & -x)
  i++
  while ((i & 7) !== 0 && i < LEAF_WORDS) {
    x = w[o + i] as number
    if (x !== 0) return (i << 5) + 31 - Math.clz32(x & -x)
    i++
  }
  for (; i < LEAF_WORDS; i += 8) {
    const j = o + i
    if (
      ((w[j] as number) |
        (w[j + 1] as number) |
        (w[j + 2] as number) |
        (w[j + 3] as number) |
        (w[j + 4] as number) |
        (w[j + 5] as number) |
        (w[j + 6] as number) |
        (w[j + 7] as number)) ===
      0
    )
      continue
    for (let k = i; ; k++) {
      x = w[o + k] as number
      if (x !== 0) return (k << 5) + 31 - Math.clz32(x & -x)
    }
  }
  return -1
}

/**
 * The first page `>= from` under `node` (height `h`, first page `base`, and
 * `base <= from < base + span(h)`) that is set, or -1.
 */
export const nextSetIn = (node: Node, h: number, base: number, from: number): number => {
  if (!isInner(node)) {
    if (node === ZERO_LEAF) return -1
    const r = h === 0 ? scanLeaf(node, from - base) : scanRun(node, WORDS[h] as number, from - base)
    return r < 0 ? -1 : base + r
  }
  if (node === zero(h)) return -1
  if (node === full(h)) return from
  const cs = span(h - 1)
  const width = childCount(node)
  for (let c = Math.floor((from - base) / cs); c < width; c++) {
    const cb = base + c * cs
    const r = nextSetIn(child(node, c, h), h - 1, cb, from > cb ? from : cb)
    if (r >= 0) return r
  }
  return -1
}

/**
 * The first set (with `clear`, clear) page at or after `from` (`0 <= from < words * 32`)
 * in the run `w[o .. o + words)`, run-relative, or -1: the first word in JavaScript, the
 * rest by the `firstNonZero` (`firstNonOnes`) kernel.
 */
const scanRun = (run: Leaf, words: number, from: number, clear = false): number => {
  const { w, o } = run
  const flip = clear ? -1 : 0
  const i = from >>> 5
  const x = ((w[o + i] as number) ^ flip) & (-1 << (from & 31))
  if (x !== 0) return (i << 5) + ctz(x)
  const j = i + 1 >= words ? -1 : (clear ? firstNonOnes : firstNonZero)(w, o, words, i + 1)
  return j < 0 ? -1 : (j << 5) + ctz((w[o + j] as number) ^ flip)
}

/**
 * The first page `>= from` under `node` (as {@link nextSetIn}) that is clear, or -1. Pages
 * past the bitmap's end read as clear: callers compare the answer with the page count.
 */
export const nextClearIn = (node: Node, h: number, base: number, from: number): number => {
  if (!isInner(node)) {
    if (node === FULL_LEAF) return -1
    const r = scanRun(node, WORDS[h] as number, from - base, true)
    return r < 0 ? -1 : base + r
  }
  if (node === full(h)) return -1
  if (node === zero(h)) return from
  const cs = span(h - 1)
  for (let c = Math.floor((from - base) / cs); c < FANOUT; c++) {
    const cb = base + c * cs
    const r = nextClearIn(child(node, c, h), h - 1, cb, from > cb ? from : cb)
    if (r >= 0) return r
  }
  return -1
}

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
  if (a >= b || node === zero(h)) return
  if (node === full(h)) {
    out.fill(0xffffffff, oo + a - lo, oo + b - lo)
    return
  }
  if (!isInner(node)) {
    const { w, o } = node
    // a leaf's 64 words by a loop: a subarray and a call would cost more
    if (b - a > LEAF_WORDS) out.set(w.subarray(o + a - first, o + b - first), oo + a - lo)
    else for (let g = a; g < b; g++) out[oo + g - lo] = w[o + g - first] as number
    return
  }
  const cw = WORDS[h - 1] as number
  const c1 = Math.min(childCount(node), Math.ceil((b - first) / cw))
  for (let c = Math.floor((a - first) / cw); c < c1; c++)
    readWords(child(node, c, h), h - 1, first + c * cw, lo, hi, out, oo)
}

/** Whether two trees of height `h` hold the same pages. */
export const equalNodes = (a: Node, b: Node, h: number): boolean => {
  if (a === b) return true
  if (!isInner(a) && !isInner(b)) {
    const n = WORDS[h] as number
    for (let i = 0; i < n; i++) if (a.w[a.o + i] !== b.w[b.o + i]) return false
    return true
  }
  for (let c = 0; c < FANOUT; c++)
    if (!equalNodes(child(a, c, h), child(b, c, h), h - 1)) return false
  return true
}
