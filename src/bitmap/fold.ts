/**
 * Folding little-endian words into a bitmap's tree (internal): the source is read in place
 * and ORed in with no object per leaf. Leaves filled from all clear are queued while they lie
 * one after another, then copied with one `TypedArray.prototype.set`; a stretch of 4096 or
 * 32768 words the source covers whole becomes a run of its own words, a `slice` of the source
 * or the OR kernel's result (`orNew`), in one step.
 * A node the source adds nothing to is kept, so folding the same log twice returns the same
 * bitmap.
 *
 * @module
 */
import { orNew } from './kernels.js'
import {
  CLEAR,
  FANOUT,
  FULL,
  LEAF_WORDS,
  RUN_HEIGHT,
  WORDS,
  allocLeaf,
  canonWords,
  type Heap,
  type Leaf,
  type Node,
  mapKids,
} from './layout.js'
import { leafWords } from './tree.js'

/**
 * One fold: bitmap word `g` of `[lo, hi)` gets `a[g - delta]` ORed in, new words taken
 * from `heap`. Leaves the source fills from all clear are queued while they lie one after
 * another in the slab and in the source (`n` of them from slab word `o` of `w`, source word
 * `d`), and filled by one `TypedArray.prototype.set` per stretch.
 */
class Fold {
  w: Uint32Array = new Uint32Array(0)
  o = 0
  d = 0
  n = 0

  constructor(
    readonly heap: Heap,
    readonly a: Uint32Array,
    readonly delta: number,
    readonly lo: number,
    readonly hi: number,
  ) {}

  /** Copies the source words into the queued leaves. */
  flush(): void {
    if (this.n === 0) return
    this.w.set(this.a.subarray(this.d, this.d + this.n * LEAF_WORDS), this.o)
    this.n = 0
  }

  /** A new leaf for the source words `a[d .. d + 64)`, queued to be filled by {@link flush}. */
  queue(d: number): Leaf {
    const out = allocLeaf(this.heap)
    const n = this.n
    if (
      n > 0 &&
      out.w === this.w &&
      out.o === this.o + n * LEAF_WORDS &&
      d === this.d + n * LEAF_WORDS
    )
      this.n = n + 1
    else {
      this.flush()
      this.w = out.w
      this.o = out.o
      this.d = d
      this.n = 1
    }
    return out
  }

  /**
   * The leaf for the source words `a[d .. d + 64)` ORed into the all-clear leaf: a shared
   * node when they are all 0 or all 1 (the scan stops at the first word that is not), else
   * a queued new leaf.
   */
  fromClear(d: number): Node {
    const a = this.a
    const x = a[d] as number
    const end = d + LEAF_WORDS
    let k = d + 1
    if (x === 0) {
      while (k < end && a[k] === 0) k++
      if (k === end) return CLEAR
    } else if (x === 0xffffffff) {
      while (k < end && a[k] === 0xffffffff) k++
      if (k === end) return FULL
    }
    return this.queue(d)
  }

  /**
   * `leaf` ORed with the source words `a[d .. d + 64)`: `leaf` itself when they add no
   * page (found at the first word that adds one), else a new leaf or the shared all-set one.
   */
  orWhole(leaf: Leaf, d: number): Node {
    const a = this.a
    const { w, o } = leaf
    let k = 0
    while (k < LEAF_WORDS && ((a[d + k] as number) & ~(w[o + k] as number)) === 0) k++
    if (k === LEAF_WORDS) return leaf
    const out = allocLeaf(this.heap)
    const ow = out.w
    const oo = out.o
    for (let i = 0; i < LEAF_WORDS; i += 4) {
      ow[oo + i] = (w[o + i] as number) | (a[d + i] as number)
      ow[oo + i + 1] = (w[o + i + 1] as number) | (a[d + i + 1] as number)
      ow[oo + i + 2] = (w[o + i + 2] as number) | (a[d + i + 2] as number)
      ow[oo + i + 3] = (w[o + i + 3] as number) | (a[d + i + 3] as number)
    }
    // the result is all set only if its first word is, which a random leaf is not
    return ow[oo] === 0xffffffff ? canonWords(out, 0, this.heap) : out
  }

  /**
   * The height-0 node `leaf` ORed with the source for its words `[lo, hi)` (a leaf the
   * source covers in part): `leaf` itself when they add no page.
   */
  orPart(leaf: Node, d: number, lo: number, hi: number): Node {
    const a = this.a
    const { w, o } = leafWords(leaf)
    let fresh = 0
    for (let k = lo; k < hi; k++) fresh |= (a[d + k] as number) & ~(w[o + k] as number)
    if (fresh === 0) return leaf
    const out = allocLeaf(this.heap)
    const ow = out.w
    const oo = out.o
    for (let k = 0; k < LEAF_WORDS; k++)
      ow[oo + k] =
        k >= lo && k < hi ? (w[o + k] as number) | (a[d + k] as number) : (w[o + k] as number)
    return canonWords(out, 0, this.heap)
  }

  /** The height-0 node `leaf` (its first word the bitmap's word `first`) with the source ORed in. */
  leaf(leaf: Node, first: number): Node {
    if (leaf.tag === 'full') return leaf
    const { lo, hi } = this
    const d = first - this.delta
    if (lo <= first && first + LEAF_WORDS <= hi)
      return leaf.tag === 'leaf' ? this.orWhole(leaf, d) : this.fromClear(d)
    return this.orPart(leaf, d, Math.max(0, lo - first), Math.min(LEAF_WORDS, hi - first))
  }

  /**
   * The all-clear node or run `old` of height `h` (first word `first`), which the source
   * covers whole, with the source ORed in: a new run in an array of its own, a `slice` of the
   * source (from all clear) or made by `orNew` (into a run), with no heap slab to take from
   * or give back to; `old` when the source adds nothing; a shared node when the result is all
   * clear or all set.
   */
  run(old: Node, h: number, first: number): Node {
    const n = WORDS[h] as number
    const d = first - this.delta
    const w = old.tag === 'run' ? orNew(old.w, old.o, this.a, d, n) : this.a.slice(d, d + n)
    return w === null ? old : canonWords({ tag: 'run', w, o: 0 }, h)
  }

  /** `node` (height `h`, first word `first`) with the source ORed in; `node` if unchanged. */
  node(node: Node, h: number, first: number): Node {
    if (node.tag === 'full') return node
    if (h === 0) return this.leaf(node, first)
    const { lo, hi } = this
    const n = WORDS[h] as number
    if (
      (h === RUN_HEIGHT || h === RUN_HEIGHT + 1) &&
      (node.tag === 'clear' || node.tag === 'run') &&
      lo <= first &&
      first + n <= hi
    )
      return this.run(node, h, first)
    const cw = WORDS[h - 1] as number
    const c0 = Math.max(0, Math.floor((lo - first) / cw))
    const c1 = Math.min(FANOUT, Math.ceil((hi - first) / cw))
    return mapKids(node, h, c0, c1, (x, c) => this.node(x, h - 1, first + c * cw))
  }
}

/**
 * The tree `root` (height `h`) with source words ORed in: bitmap word `g` of `[lo, hi)`
 * gets `a[g - delta]` (`a` is only read, and may be the caller's memory; it may change
 * once this returns). New words come from `heap`; the result shares every node the source
 * adds nothing to.
 */
export const foldWords = (
  heap: Heap,
  root: Node,
  h: number,
  a: Uint32Array,
  delta: number,
  lo: number,
  hi: number,
): Node => {
  if (lo >= hi) return root
  const fold = new Fold(heap, a, delta, lo, hi)
  const out = fold.node(root, h, 0)
  fold.flush()
  return out
}
