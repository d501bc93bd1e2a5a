/**
 * Combining two bitmaps of the same size page by page: union, intersection and difference
 * (QEMU's `bitmap_or`, `bitmap_and`, `bitmap_andnot`, include/qemu/bitmap.h — as
 * `ramblock_sync_dirty_bitmap` ORs a block's new dirty pages into the migration bitmap and
 * `bitmap_andnot` drops pages a client has handled). Subtrees shared by both sides, and
 * all-clear or all-set subtrees, are settled without looking inside; a result leaf equal to
 * an input leaf is that leaf, so results share as much storage as they can.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { PageBitmap } from './bitmap.js'
import { sizeMismatch, type SizeMismatch } from './errors.js'
import {
  FANOUT,
  FULL_LEAF,
  LEAF_WORDS,
  ZERO_LEAF,
  WORDS,
  allocLeaf,
  allocRun,
  canonInner,
  canonLeaf,
  canonRun,
  child,
  full,
  isInner,
  keepRun,
  putRun,
  releaseRun,
  rootWidth,
  sealArena,
  zero,
  type Leaf,
  type Node,
  type Slots,
} from './layout.js'
import { addsBits, andNotWords, andWords, meetsBits, orWords } from './kernels.js'
import { heightOf, wrap } from './tree.js'

interface Op {
  /** The answer for two nodes of height `h >= 1` when it needs no look inside, else undefined. */
  readonly node: (a: Node, b: Node, h: number) => Node | undefined
  readonly leaf: (a: Leaf, b: Leaf) => Leaf
  /** Two runs of `n` words (height >= 1) combined by the kernels: an input, or a new run. */
  readonly runs: (a: Leaf, b: Leaf, n: number) => Leaf
}

/** A new run of `n` words written by `write`, or undefined (and no run) if it is all clear. */
const newRun = (n: number, write: (out: Uint32Array, oo: number) => boolean): Leaf | undefined => {
  const run = allocRun(n)
  if (write(run.w, run.o)) return run
  releaseRun(run)
  return undefined
}

/** The union of two runs: the superset when there is one, else a new run. */
const unionRuns = (a: Leaf, b: Leaf, n: number): Leaf => {
  if (!addsBits(a.w, a.o, b.w, b.o, n)) return a
  if (!addsBits(b.w, b.o, a.w, a.o, n)) return b
  return newRun(n, (w, o) => orWords(w, o, a.w, a.o, b.w, b.o, n)) ?? a
}

/** The intersection of two runs: the subset when there is one, else a new run (or none). */
const intersectRuns = (a: Leaf, b: Leaf, n: number): Leaf => {
  if (!addsBits(b.w, b.o, a.w, a.o, n)) return a
  if (!addsBits(a.w, a.o, b.w, b.o, n)) return b
  return newRun(n, (w, o) => andWords(w, o, a.w, a.o, b.w, b.o, n)) ?? ZERO_LEAF
}

/** `a` less `b`: `a` when they have no page in common, else a new run (or none). */
const subtractRuns = (a: Leaf, b: Leaf, n: number): Leaf => {
  if (!meetsBits(a.w, a.o, b.w, b.o, n)) return a
  return newRun(n, (w, o) => andNotWords(w, o, a.w, a.o, b.w, b.o, n)) ?? ZERO_LEAF
}

/**
 * Two leaves combined word by word, `a | b` (`or`) or `a & b`: one of the inputs itself
 * when it already is the answer (the superset for a union, the subset for an
 * intersection), so untouched storage stays shared; otherwise a new canonical leaf.
 */
const mergeLeaves = (a: Leaf, b: Leaf, or: boolean): Leaf => {
  const x = a.w
  const y = b.w
  let onlyA = 0
  let onlyB = 0
  for (let i = 0; i < LEAF_WORDS; i++) {
    const p = x[a.o + i] as number
    const q = y[b.o + i] as number
    onlyA |= p & ~q
    onlyB |= q & ~p
  }
  if (or ? onlyB === 0 : onlyA === 0) return a
  if (or ? onlyA === 0 : onlyB === 0) return b
  const out = allocLeaf()
  for (let i = 0; i < LEAF_WORDS; i++) {
    const p = x[a.o + i] as number
    const q = y[b.o + i] as number
    out.w[out.o + i] = or ? p | q : p & q
  }
  return canonLeaf(out)
}

const unionOp: Op = {
  node: (a, b, h) =>
    a === b || b === zero(h) || a === full(h) ? a : a === zero(h) || b === full(h) ? b : undefined,
  leaf: (a, b) => {
    if (a === b || b === ZERO_LEAF || a === FULL_LEAF) return a
    if (a === ZERO_LEAF || b === FULL_LEAF) return b
    return mergeLeaves(a, b, true)
  },
  runs: unionRuns,
}

const intersectionOp: Op = {
  node: (a, b, h) =>
    a === b || a === zero(h) || b === full(h) ? a : b === zero(h) || a === full(h) ? b : undefined,
  leaf: (a, b) => {
    if (a === b || a === ZERO_LEAF || b === FULL_LEAF) return a
    if (b === ZERO_LEAF || a === FULL_LEAF) return b
    return mergeLeaves(a, b, false)
  },
  runs: intersectRuns,
}

const differenceOp: Op = {
  node: (a, b, h) =>
    b === zero(h) || a === zero(h) ? a : a === b || b === full(h) ? zero(h) : undefined,
  leaf: (a, b) => {
    if (b === ZERO_LEAF || a === ZERO_LEAF) return a
    if (a === b || b === FULL_LEAF) return ZERO_LEAF
    const x = a.w
    const y = b.w
    let both = 0
    for (let i = 0; i < LEAF_WORDS; i++) both |= (x[a.o + i] as number) & (y[b.o + i] as number)
    if (both === 0) return a
    const out = allocLeaf()
    for (let i = 0; i < LEAF_WORDS; i++)
      out.w[out.o + i] = (x[a.o + i] as number) & ~(y[b.o + i] as number)
    return canonLeaf(out)
  },
  runs: subtractRuns,
}

const zip = (op: Op, a: Node, b: Node, h: number, width: number): Node => {
  if (h === 0) return op.leaf(a as Leaf, b as Leaf)
  const shortcut = op.node(a, b, h)
  if (shortcut !== undefined) return shortcut
  if (!isInner(a) && !isInner(b)) {
    const r = op.runs(a, b, WORDS[h] as number)
    return r === ZERO_LEAF ? zero(h) : r === a || r === b ? r : keepRun(r, h)
  }
  const out: Slots = new Array<Node>(width)
  let sameA = true
  let sameB = true
  for (let c = 0; c < width; c++) {
    const x = child(a, c, h)
    const y = child(b, c, h)
    const r = zip(op, x, y, h - 1, FANOUT)
    if (h > 1 && !isInner(r) && r !== x && r !== y) putRun(out, c, r)
    else out[c] = r === x || r === y ? canonRun(r, h - 1) : r
    sameA &&= r === x
    sameB &&= r === y
  }
  return sameA ? a : sameB ? b : canonInner(out, h)
}

const combine =
  (op: Op) =>
  (other: PageBitmap) =>
  (bm: PageBitmap): E.Either<SizeMismatch, PageBitmap> => {
    if (bm.pages !== other.pages) return E.left(sizeMismatch(bm.pages, other.pages))
    const h = heightOf(bm)
    const root = zip(op, bm.root, other.root, h, h === 0 ? FANOUT : rootWidth(bm.pages, h))
    sealArena()
    return E.right(root === bm.root ? bm : root === other.root ? other : wrap(bm.pages, root))
  }

/**
 * The pages set in either bitmap (QEMU `bitmap_or`, as `cpu_physical_memory_sync_dirty_bitmap`
 * ORs a RAMBlock's dirty pages into the migration bitmap), or why the sizes differ.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const a = bitmap.fromPages(64)([1, 2].map(PageIndex.unsafe))
 * const b = bitmap.fromPages(64)([2, 3].map(PageIndex.unsafe))
 * assert.ok(either.isRight(a) && either.isRight(b))
 * assert.deepEqual(pipe(a.right, bitmap.union(b.right), either.map(bitmap.toPages)), either.right([1, 2, 3]))
 * const wider = bitmap.empty(65)
 * assert.ok(either.isRight(wider))
 * assert.equal(pipe(a.right, bitmap.union(wider.right), either.isLeft), true)
 */
export const union: (other: PageBitmap) => (bm: PageBitmap) => E.Either<SizeMismatch, PageBitmap> =
  combine(unionOp)

/**
 * The pages set in both bitmaps (QEMU `bitmap_and`), or why the sizes differ.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const a = bitmap.fromPages(64)([1, 2].map(PageIndex.unsafe))
 * const b = bitmap.fromPages(64)([2, 3].map(PageIndex.unsafe))
 * assert.ok(either.isRight(a) && either.isRight(b))
 * assert.deepEqual(pipe(a.right, bitmap.intersection(b.right), either.map(bitmap.toPages)), either.right([2]))
 */
export const intersection: (
  other: PageBitmap,
) => (bm: PageBitmap) => E.Either<SizeMismatch, PageBitmap> = combine(intersectionOp)

/**
 * The pages set in `bm` but not in `other` (QEMU `bitmap_andnot`), or why the sizes differ.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const dirty = bitmap.fromPages(64)([1, 2, 3].map(PageIndex.unsafe))
 * const sent = bitmap.fromPages(64)([2].map(PageIndex.unsafe))
 * const other = bitmap.empty(128)
 * assert.ok(either.isRight(dirty) && either.isRight(sent) && either.isRight(other))
 * assert.deepEqual(pipe(dirty.right, bitmap.difference(sent.right), either.map(bitmap.toPages)), either.right([1, 3]))
 * assert.equal(pipe(dirty.right, bitmap.difference(other.right), either.isLeft), true)
 */
export const difference: (
  other: PageBitmap,
) => (bm: PageBitmap) => E.Either<SizeMismatch, PageBitmap> = combine(differenceOp)
