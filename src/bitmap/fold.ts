/**
 * The engine behind folding little-endian word bitmaps into a bitmap (internal): ORs a
 * stretch of 32-bit source words, read in place, into the tree, with no temporary object
 * per leaf. Leaves the source fills from all clear are laid out in consecutive slab slots
 * and filled with one `TypedArray.prototype.set` per run; all-clear and all-set stretches
 * of the source become the shared leaves after a scan that stops at the first word that
 * differs, so a random leaf is found mixed at once and an all-clear stretch costs one read
 * per word. A leaf the source adds nothing to is kept (found at the first word that adds
 * a page), so folding the same log twice returns the same bitmap.
 *
 * @module
 */
import {
  FANOUT,
  FULL_LEAF,
  LEAF_WORDS,
  ZERO_LEAF,
  allocRaw,
  canonInner,
  canonLeaf,
  full,
  releaseLeaf,
  sealArena,
  span,
  zero,
  type Inner,
  type Leaf,
  type Node,
} from './layout.js'

/**
 * Slots allocated for leaves the source fills from all clear whose words are still to be
 * copied in: `n` consecutive slots of `w` from word `o`, taking the source words from `d`.
 * They are filled before the fold returns, and nothing reads them before that.
 */
const pend = { w: ZERO_LEAF.w, o: 0, a: ZERO_LEAF.w, d: 0, n: 0 }

/** Copies the source words into the pending slots. */
const flush = (): void => {
  if (pend.n === 0) return
  const { w, o, a, d, n } = pend
  w.set(a.subarray(d, d + n * LEAF_WORDS), o)
  pend.n = 0
  pend.a = ZERO_LEAF.w
}

/** A new leaf for the source words `a[d .. d + 64)`, queued to be filled by {@link flush}. */
const queue = (a: Uint32Array, d: number): Leaf => {
  const out = allocRaw()
  const n = pend.n
  if (
    n > 0 &&
    out.w === pend.w &&
    out.o === pend.o + n * LEAF_WORDS &&
    a === pend.a &&
    d === pend.d + n * LEAF_WORDS
  )
    pend.n = n + 1
  else {
    flush()
    pend.w = out.w
    pend.o = out.o
    pend.a = a
    pend.d = d
    pend.n = 1
  }
  return out
}

/**
 * The leaf for the source words `a[d .. d + 64)` ORed into the all-clear leaf: the shared
 * all-clear or all-set leaf when they are all 0 or all 1 (the scan stops at the first word
 * that is not), else a queued new leaf.
 */
const fromClear = (a: Uint32Array, d: number): Leaf => {
  const x = a[d] as number
  const end = d + LEAF_WORDS
  let k = d + 1
  if (x === 0) {
    while (k < end && a[k] === 0) k++
    if (k === end) return ZERO_LEAF
  } else if (x === 0xffffffff) {
    while (k < end && a[k] === 0xffffffff) k++
    if (k === end) return FULL_LEAF
  }
  return queue(a, d)
}

/**
 * `leaf` (not shared) ORed with the source words `a[d .. d + 64)`: `leaf` itself when they
 * add no page (found at the first word that adds one), else a new leaf or the shared
 * all-set one.
 */
const orWhole = (leaf: Leaf, a: Uint32Array, d: number): Leaf => {
  const { w, o } = leaf
  let k = 0
  while (k < LEAF_WORDS && ((a[d + k] as number) & ~(w[o + k] as number)) === 0) k++
  if (k === LEAF_WORDS) return leaf
  const out = allocRaw()
  const ow = out.w
  const oo = out.o
  for (let i = 0; i < LEAF_WORDS; i += 4) {
    const x = w[o + i] as number
    const y = w[o + i + 1] as number
    const z = w[o + i + 2] as number
    const v = w[o + i + 3] as number
    ow[oo + i] = x | (a[d + i] as number)
    ow[oo + i + 1] = y | (a[d + i + 1] as number)
    ow[oo + i + 2] = z | (a[d + i + 2] as number)
    ow[oo + i + 3] = v | (a[d + i + 3] as number)
  }
  // the result is all set only if its first word is, which a random leaf is not
  if (ow[oo] !== 0xffffffff) return out
  for (let i = 1; i < LEAF_WORDS; i++) if (ow[oo + i] !== 0xffffffff) return out
  releaseLeaf(out)
  return FULL_LEAF
}

/**
 * `leaf` ORed with the source words for its words `[lo, hi)` (a leaf the source covers in
 * part): `leaf` itself when they add no page.
 */
const orPart = (leaf: Leaf, a: Uint32Array, d: number, lo: number, hi: number): Leaf => {
  const { w, o } = leaf
  let fresh = 0
  for (let k = lo; k < hi; k++) fresh |= (a[d + k] as number) & ~(w[o + k] as number)
  if (fresh === 0) return leaf
  const out = allocRaw()
  const ow = out.w
  const oo = out.o
  for (let k = 0; k < LEAF_WORDS; k++)
    ow[oo + k] =
      k >= lo && k < hi ? (w[o + k] as number) | (a[d + k] as number) : (w[o + k] as number)
  return canonLeaf(out)
}

/**
 * `leaf` (its first word the bitmap's word `first`) ORed with the source: bitmap word `g`
 * of `[lo, hi)` gets `a[g - delta]`.
 */
const foldLeaf = (
  leaf: Leaf,
  first: number,
  a: Uint32Array,
  delta: number,
  lo: number,
  hi: number,
): Leaf => {
  if (leaf === FULL_LEAF) return leaf
  const d = first - delta
  if (lo <= first && first + LEAF_WORDS <= hi)
    return leaf === ZERO_LEAF ? fromClear(a, d) : orWhole(leaf, a, d)
  return orPart(leaf, a, d, Math.max(0, lo - first), Math.min(LEAF_WORDS, hi - first))
}

/**
 * `node` (height `h`, first word `first`, `width` children if inner) with the source ORed
 * in: bitmap word `g` of `[lo, hi)` gets `a[g - delta]`; `node` itself when nothing changes.
 */
const foldNode = (
  node: Node,
  h: number,
  first: number,
  width: number,
  a: Uint32Array,
  delta: number,
  lo: number,
  hi: number,
): Node => {
  if (node === full(h)) return node
  if (h === 0) return foldLeaf(node as Leaf, first, a, delta, lo, hi)
  const cw = span(h - 1) / 32
  const c0 = Math.max(0, Math.floor((lo - first) / cw))
  const c1 = Math.min(width, Math.ceil((hi - first) / cw))
  const inner = node as Inner
  const z = zero(h - 1)
  let out: Node[] | undefined
  for (let c = c0; c < c1; c++) {
    const old = inner[c] ?? z
    const next =
      h === 1
        ? foldLeaf(old as Leaf, first + c * LEAF_WORDS, a, delta, lo, hi)
        : foldNode(old, h - 1, first + c * cw, FANOUT, a, delta, lo, hi)
    if (next !== old) {
      if (out === undefined) {
        out = new Array<Node>(width)
        for (let k = 0; k < width; k++) out[k] = inner[k] ?? z
      }
      out[c] = next
    }
  }
  return out === undefined ? node : canonInner(out, h)
}

/**
 * The tree `root` (height `h`, `width` root children) with source words ORed in: bitmap
 * word `g` of `[lo, hi)` gets `a[g - delta]` (`a` is only read, and may be the caller's
 * memory). The result shares every node the source adds nothing to.
 */
export const foldWords = (
  root: Node,
  h: number,
  width: number,
  a: Uint32Array,
  delta: number,
  lo: number,
  hi: number,
): Node => {
  if (lo >= hi) return root
  const out = foldNode(root, h, 0, width, a, delta, lo, hi)
  flush()
  sealArena()
  return out
}
