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
  CLEAR,
  FANOUT,
  FULL,
  WORDS,
  allocLeaf,
  allocRun,
  canonInner,
  canonWords,
  child,
  isShared,
  release,
  type Heap,
  type Node,
  type Words,
} from './layout.js'
import { addsBits, andNotWords, andWords, meetsBits, orWords } from './kernels.js'
import { SHARED_LEAF, heapOf, heightOf, rootOf, withRoot } from './tree.js'

interface Op {
  /** The answer when it needs no look at words (a shared node, or inputs that are one), else undefined. */
  readonly node: (a: Node, b: Node) => Node | undefined
  /** Two leaves or runs of height `h` combined word by word: an input, a new node or a shared one. */
  readonly words: (heap: Heap, a: Words, b: Words, h: number) => Node
}

/**
 * A new leaf or run of height `h` written by `write` (which says whether any word is
 * non-zero), made canonical; the words given back when it is all clear or all set.
 */
const fresh = (
  heap: Heap,
  h: number,
  write: (out: Uint32Array, oo: number, n: number) => boolean,
): Node => {
  const x = h === 0 ? allocLeaf(heap) : allocRun(heap, h)
  if (!write(x.w, x.o, WORDS[h] as number)) {
    release(heap, x, h)
    return CLEAR
  }
  return canonWords(x, h, heap)
}

/** The union of two leaves or runs: the superset when there is one, else new words. */
const unionWords = (heap: Heap, a: Words, b: Words, h: number): Node => {
  const n = WORDS[h] as number
  if (!addsBits(a.w, a.o, b.w, b.o, n)) return a
  if (!addsBits(b.w, b.o, a.w, a.o, n)) return b
  return fresh(heap, h, (w, o) => orWords(w, o, a.w, a.o, b.w, b.o, n))
}

/** The intersection of two leaves or runs: the subset when there is one, else new words. */
const intersectWords = (heap: Heap, a: Words, b: Words, h: number): Node => {
  const n = WORDS[h] as number
  if (!addsBits(b.w, b.o, a.w, a.o, n)) return a
  if (!addsBits(a.w, a.o, b.w, b.o, n)) return b
  return fresh(heap, h, (w, o) => andWords(w, o, a.w, a.o, b.w, b.o, n))
}

/** `a` less `b`: `a` when they have no page in common, else new words. */
const subtractWords = (heap: Heap, a: Words, b: Words, h: number): Node => {
  const n = WORDS[h] as number
  if (!meetsBits(a.w, a.o, b.w, b.o, n)) return a
  return fresh(heap, h, (w, o) => andNotWords(w, o, a.w, a.o, b.w, b.o, n))
}

const unionOp: Op = {
  node: (a, b) =>
    a === b || b === CLEAR || a === FULL ? a : a === CLEAR || b === FULL ? b : undefined,
  words: unionWords,
}

const intersectionOp: Op = {
  node: (a, b) =>
    a === b || a === CLEAR || b === FULL ? a : b === CLEAR || a === FULL ? b : undefined,
  words: intersectWords,
}

const differenceOp: Op = {
  node: (a, b) => (b === CLEAR || a === CLEAR ? a : a === b || b === FULL ? CLEAR : undefined),
  words: subtractWords,
}

/** `x` as words: a leaf or run, or the words of a shared node at height 0. */
const asWords = (x: Node, h: number): Words | undefined =>
  x.tag === 'leaf' || x.tag === 'run' ? x : h === 0 && isShared(x) ? SHARED_LEAF[x.tag] : undefined

/** `x` as a child of its own: a part of a run made canonical. */
const own = (x: Node, h: number): Node =>
  x.tag === 'leaf' || x.tag === 'run' ? canonWords(x, h) : x

const zip = (heap: Heap, op: Op, a: Node, b: Node, h: number): Node => {
  const shortcut = op.node(a, b)
  if (shortcut !== undefined) return shortcut
  const x = asWords(a, h)
  const y = asWords(b, h)
  if (x !== undefined && y !== undefined) {
    const r = op.words(heap, x, y, h)
    return r === SHARED_LEAF.clear ? CLEAR : r === SHARED_LEAF.full ? FULL : r
  }
  const out = new Array<Node>(FANOUT)
  let sameA = true
  let sameB = true
  for (let c = 0; c < FANOUT; c++) {
    const ca = child(a, c, h)
    const cb = child(b, c, h)
    const r = zip(heap, op, ca, cb, h - 1)
    out[c] = r === ca || r === cb ? own(r, h - 1) : r
    sameA &&= r === ca
    sameB &&= r === cb
  }
  return sameA ? a : sameB ? b : canonInner(out)
}

const combine =
  (op: Op) =>
  (other: PageBitmap) =>
  (bm: PageBitmap): E.Either<SizeMismatch, PageBitmap> => {
    if (bm.pages !== other.pages) return E.left(sizeMismatch(bm.pages, other.pages))
    const root = zip(heapOf(bm), op, rootOf(bm), rootOf(other), heightOf(bm))
    return E.right(root === rootOf(other) ? other : withRoot(bm, root))
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
