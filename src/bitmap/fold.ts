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
 * A stretch of 4096 words (131072 pages) that the source covers whole becomes a run (see
 * layout.ts): copied in with one `TypedArray.prototype.set` into an all-clear stretch, or
 * ORed into a run by the `orWords` kernel (WebAssembly), so the fold of a mixed log costs a
 * few objects per 16 KiB, not one per 256 bytes. A node of eight runs the source covers
 * whole is done in one step (one copy or one kernel call for 128 KiB, into one slab), so
 * that its runs stay one after another, as offsets of one home slab. A run costs its 16 KiB
 * however few pages it holds: never more than a flat bitmap of the same pages (QEMU's own
 * layout).
 *
 * @module
 */
import { orWords } from './kernels.js'
import {
  FANOUT,
  FULL_LEAF,
  LEAF_WORDS,
  RUN_HEIGHT,
  WORDS,
  ZERO_LEAF,
  allocRaw,
  allocRun,
  canonInner,
  canonLeaf,
  canonRun,
  child,
  full,
  isInner,
  keepRun,
  putRun,
  releaseLeaf,
  releaseRun,
  sealArena,
  zero,
  type Leaf,
  type Node,
  type Slots,
} from './layout.js'
import { copyInner } from './tree.js'

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

/** Words of a run of height {@link RUN_HEIGHT}: 4096. */
const RUN_WORDS = WORDS[RUN_HEIGHT] as number

/**
 * The node of height {@link RUN_HEIGHT} (`old`, first word `first`) with the source words
 * `a[first - delta ..]` ORed into all its 4096 words: the shared node when the result is all
 * clear or all set, `old` when the source adds nothing, else a new run, written with one
 * `TypedArray.prototype.set` (from all clear) or the `orWords` kernel (into a run). A node
 * of leaves is folded leaf by leaf.
 */
const foldRun = (old: Node, first: number, a: Uint32Array, delta: number): Node => {
  const d = first - delta
  if (old === zero(RUN_HEIGHT)) {
    // copy first, then look at the copy: it is in the cache, the source is not
    const run = allocRun(RUN_WORDS)
    run.w.set(a.subarray(d, d + RUN_WORDS), run.o)
    return keepRun(run, RUN_HEIGHT)
  }
  if (isInner(old))
    return foldNode(old, RUN_HEIGHT, first, FANOUT, a, delta, first, first + RUN_WORDS)
  const run = allocRun(RUN_WORDS)
  if (!orWords(run.w, run.o, old.w, old.o, a, d, RUN_WORDS)) {
    releaseRun(run)
    return old
  }
  return keepRun(run, RUN_HEIGHT)
}

/**
 * The node of height `RUN_HEIGHT + 1` over the eight runs just written one after another
 * from `run` (a 32768-word {@link allocRun}): each stored as an offset of that slab, its
 * home, or as the shared node where it is all clear or all set; the slab given back when
 * no run is kept.
 */
const eightRuns = (run: Leaf): Node => {
  const { w, o } = run
  const out: Slots = new Array<Node | number | Uint32Array>(FANOUT + 1)
  let used = false
  for (let c = 0; c < FANOUT; c++) {
    const rc = o + c * RUN_WORDS
    const r = canonRun({ w, o: rc }, RUN_HEIGHT)
    used ||= !isInner(r)
    out[c] = isInner(r) ? r : rc
  }
  if (!used) {
    releaseRun(run)
    return canonInner(out.slice(0, FANOUT), RUN_HEIGHT + 1)
  }
  out[FANOUT] = w
  return canonInner(out, RUN_HEIGHT + 1)
}

/**
 * The all-clear node of height `RUN_HEIGHT + 1` with the source words `a[first - delta ..]`
 * ORed into all its 32768 words: one slab's worth copied in with one
 * `TypedArray.prototype.set`, as eight runs one after another (or the shared nodes where
 * they are all clear or all set).
 */
const intoClearRuns = (first: number, a: Uint32Array, delta: number): Node => {
  const d = first - delta
  const n = FANOUT * RUN_WORDS
  const run = allocRun(n)
  run.w.set(a.subarray(d, d + n), run.o)
  return eightRuns(run)
}

/**
 * A node of height `RUN_HEIGHT + 1` whose eight children are runs laid out one after
 * another in its home slab (as a fold writes them) with the source words `a[first - delta
 * ..]` ORed into all its 32768 words by one `orWords` call, into eight new runs that are
 * one after another again: `node` itself when the source adds nothing. Undefined for any
 * other node, which is folded run by run.
 */
const foldRuns = (node: Node, first: number, a: Uint32Array, delta: number): Node | undefined => {
  if (!isInner(node) || node.length !== FANOUT + 1) return undefined
  const o = node[0]
  if (typeof o !== 'number') return undefined
  for (let c = 1; c < FANOUT; c++) if (node[c] !== o + c * RUN_WORDS) return undefined
  const home = node[FANOUT] as Uint32Array
  const n = FANOUT * RUN_WORDS
  const run = allocRun(n)
  if (!orWords(run.w, run.o, home, o, a, first - delta, n)) {
    releaseRun(run)
    return node
  }
  return eightRuns(run)
}

/**
 * `node` (height `h`, first word `first`, `width` children if inner) with the source ORed
 * in: bitmap word `g` of `[lo, hi)` gets `a[g - delta]`; `node` itself when nothing changes.
 * A child of height {@link RUN_HEIGHT} the source covers whole is folded as a run.
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
  if (h === RUN_HEIGHT + 1 && lo <= first && first + (WORDS[h] as number) <= hi) {
    const whole =
      node === zero(h) ? intoClearRuns(first, a, delta) : foldRuns(node, first, a, delta)
    if (whole !== undefined) return whole
  }
  const cw = WORDS[h - 1] as number
  const c0 = Math.max(0, Math.floor((lo - first) / cw))
  const c1 = Math.min(width, Math.ceil((hi - first) / cw))
  let out: Slots | undefined
  for (let c = c0; c < c1; c++) {
    const old = child(node, c, h)
    const cf = first + c * cw
    const next =
      h === 1
        ? foldLeaf(old as Leaf, cf, a, delta, lo, hi)
        : h - 1 === RUN_HEIGHT && lo <= cf && cf + cw <= hi
          ? foldRun(old, cf, a, delta)
          : foldNode(old, h - 1, cf, FANOUT, a, delta, lo, hi)
    if (next !== old) {
      out ??= copyInner(node, width, h)
      if (h - 1 === RUN_HEIGHT && !isInner(next)) putRun(out, c, next)
      else out[c] = next
    }
  }
  return out === undefined ? node : canonInner(out, h)
}

/**
 * The tree `root` (height `h`, `width` root children) with source words ORed in: bitmap
 * word `g` of `[lo, hi)` gets `a[g - delta]` (`a` is only read, and may be the caller's
 * memory; it may change once this returns). The result shares every node the source adds
 * nothing to. `seal` false leaves the slabs unsealed, for a caller that folds again
 * straight after and calls `sealArena` itself before the result leaves it.
 */
export const foldWords = (
  root: Node,
  h: number,
  width: number,
  a: Uint32Array,
  delta: number,
  lo: number,
  hi: number,
  seal = true,
): Node => {
  if (lo >= hi) return root
  const out = foldNode(root, h, 0, width, a, delta, lo, hi)
  flush()
  if (seal) sealArena()
  return out
}
