/**
 * How a page bitmap is stored (internal): a persistent radix tree of fan-out 8 over leaves of
 * 2048 pages, one node type told apart by its `tag` (docs/bitmap.md draws it and says why each
 * shape exists). A leaf's words are QEMU's `unsigned long` bitmap layout cut to 32 bits (page
 * `p` is bit `p % 32` of word `p / 32`), byte for byte KVM's little-endian dirty log. Words
 * come from a {@link Heap} of zero-filled slabs, so no slab can hold memory the process used
 * before; a slot is written only by the operation that took it, before its bitmap escapes.
 *
 * @module
 */

import { popcountRange } from './bits.js'

/** log2 of the pages in a leaf. */
export const LEAF_SHIFT = 11
/** Pages in a leaf: 2048 (8 MiB of 4 KiB pages). */
export const LEAF_BITS = 1 << LEAF_SHIFT
/** 32-bit words in a leaf: 64 (256 bytes). */
export const LEAF_WORDS = LEAF_BITS >>> 5
/** log2 of the children of an inner node. */
export const FAN_SHIFT = 3
/** Children of an inner node: 8. */
export const FANOUT = 1 << FAN_SHIFT
/** The largest bitmap: 2^52 pages, the whole 64-bit `ram_addr_t` space in 4 KiB pages. */
export const MAX_PAGES = 2 ** 52
/** The height of a tree of {@link MAX_PAGES} pages. */
export const MAX_HEIGHT = 14
/** The height of the runs a fold writes: 2 (64 leaves, 131072 pages, 16 KiB). */
export const RUN_HEIGHT = 2

/** 2048 pages as 64 words `w[o .. o + 64)`; never written once reachable from a bitmap. */
export interface Leaf {
  readonly tag: 'leaf'
  readonly w: Uint32Array
  readonly o: number
}
/** The pages of a node of height `h >= 1` as `span(h) / 32` words from `w[o]`. */
export interface Run {
  readonly tag: 'run'
  readonly w: Uint32Array
  readonly o: number
}
/** The shared node with no page set, of any height. */
export interface Clear {
  readonly tag: 'clear'
}
/** The shared node with every page set, of any height. */
export interface Full {
  readonly tag: 'full'
}
/**
 * Eight children of one height lower. An empty slot (undefined) is the matching eighth of
 * `bg`: all clear, or a part of the run the node was split from.
 */
export interface Inner {
  readonly tag: 'inner'
  readonly bg: Run | Clear
  readonly c0: Node | undefined
  readonly c1: Node | undefined
  readonly c2: Node | undefined
  readonly c3: Node | undefined
  readonly c4: Node | undefined
  readonly c5: Node | undefined
  readonly c6: Node | undefined
  readonly c7: Node | undefined
}
/** A node of the tree. */
export type Node = Inner | Leaf | Run | Clear | Full
/** A node that holds words: a leaf or a run. */
export type Words = Leaf | Run
/** The children of an inner node being built (an empty slot: the background's part). */
export type Kids = Array<Node | undefined>

/** The shared all-clear node. */
export const CLEAR: Clear = { tag: 'clear' }
/** The shared all-set node. */
export const FULL: Full = { tag: 'full' }

/** `SPAN[h]`: the pages under a node of height `h` (2048 * 8^h). */
export const SPAN: ReadonlyArray<number> = Array.from(
  { length: MAX_HEIGHT + 1 },
  (_, h) => 2 ** (LEAF_SHIFT + FAN_SHIFT * h),
)
/** `span(h)`: the pages under a node of height `h`. */
export const span = (h: number): number => SPAN[h] as number
/** `WORDS[h]`: the 32-bit words of a run of height `h` (`span(h) / 32`). */
export const WORDS: ReadonlyArray<number> = SPAN.map((s) => s / 32)
/** `INV_SPAN[h]`: `1 / SPAN[h]`, exact (a power of two), to divide by a multiply. */
const INV_SPAN: ReadonlyArray<number> = SPAN.map((s) => 1 / s)

/** The height of the tree for a bitmap of `pages` pages: 0 up to 2048 pages. */
export const heightFor = (pages: number): number => {
  if (pages <= LEAF_BITS) return 0
  // bits = the bits needed to write pages - 1, so span(h) >= pages iff 11 + 3h >= bits
  const hi = Math.floor((pages - 1) / 2 ** 32)
  const bits = hi === 0 ? 32 - Math.clz32(pages - 1) : 64 - Math.clz32(hi)
  return Math.ceil((bits - LEAF_SHIFT) / FAN_SHIFT)
}

/** How many children the root of a `pages`-page tree of height `h` uses (8 below a root). */
export const widthOf = (pages: number, h: number): number =>
  h === 0 ? FANOUT : Math.max(1, Math.ceil(pages / span(h - 1)))

/** The child of a node of height `h >= 1` that holds `page` (any page under the node). */
export const childIndex = (page: number, h: number): number =>
  (page * (INV_SPAN[h - 1] as number)) & (FANOUT - 1)

/** A leaf (height 0) or run (height >= 1) over the words from `w[o]`. */
export const words = (w: Uint32Array, o: number, h: number): Words =>
  h === 0 ? { tag: 'leaf', w, o } : { tag: 'run', w, o }

/** The inner node with children `k[0 .. 8)` over the background `bg`. */
export const inner = (k: ArrayLike<Node | undefined>, bg: Run | Clear = CLEAR): Inner => ({
  tag: 'inner',
  bg,
  c0: k[0],
  c1: k[1],
  c2: k[2],
  c3: k[3],
  c4: k[4],
  c5: k[5],
  c6: k[6],
  c7: k[7],
})

/** An inner node with every slot empty (read for its slots only). */
const NO_KIDS: Inner = inner([])

/** Slot `c` of an inner node (undefined: the background's part). */
const slot = (n: Inner, c: number): Node | undefined => {
  switch (c) {
    case 0:
      return n.c0
    case 1:
      return n.c1
    case 2:
      return n.c2
    case 3:
      return n.c3
    case 4:
      return n.c4
    case 5:
      return n.c5
    case 6:
      return n.c6
    default:
      return n.c7
  }
}

/**
 * Child `c` of `node` (height `h >= 1`): the one accessor every walk goes through. The
 * shared nodes are their own children; the child of a run (or of an inner node's run
 * background) is a new leaf or run object over the same words.
 */
export const child = (node: Node, c: number, h: number): Node => {
  switch (node.tag) {
    case 'inner': {
      const x = slot(node, c)
      if (x !== undefined) return x
      const bg = node.bg
      return bg.tag === 'clear' ? bg : words(bg.w, bg.o + c * (WORDS[h - 1] as number), h - 1)
    }
    case 'run':
      return words(node.w, node.o + c * (WORDS[h - 1] as number), h - 1)
    default:
      return node
  }
}

/**
 * The slots of `node` (height `h >= 1`) to be changed and made an inner node again with
 * {@link canonInner} and the background {@link bgOf}: an inner node's slots, empty slots
 * over a run, or a shared node's children.
 */
export const kidsOf = (node: Node, h: number): Kids => {
  const out: Kids = new Array<Node | undefined>(FANOUT)
  if (node.tag === 'inner') for (let c = 0; c < FANOUT; c++) out[c] = slot(node, c)
  else if (node.tag !== 'run') out.fill(h >= 1 ? node : CLEAR)
  return out
}

/**
 * `node` (height `h >= 1`) with child `c` replaced by `x`, canonical: what a one-page
 * update does at each level of its path, with no array in between when `node` is an
 * inner node and `x` is not shared.
 */
export const withKid = (node: Node, h: number, c: number, x: Node): Node => {
  if ((node.tag !== 'inner' && node.tag !== 'run') || isShared(x)) {
    const k = kidsOf(node, h)
    k[c] = x
    return canonInner(k, bgOf(node))
  }
  // over a run: no slot filled yet, the run the background
  const n = node.tag === 'inner' ? node : NO_KIDS
  let bg = node.tag === 'inner' ? node.bg : node
  if (bg.tag === 'run') {
    let filled = true
    for (let i = 0; i < FANOUT && filled; i++) filled = i === c || slot(n, i) !== undefined
    if (filled) bg = CLEAR
  }
  return {
    tag: 'inner',
    bg,
    c0: c === 0 ? x : n.c0,
    c1: c === 1 ? x : n.c1,
    c2: c === 2 ? x : n.c2,
    c3: c === 3 ? x : n.c3,
    c4: c === 4 ? x : n.c4,
    c5: c === 5 ? x : n.c5,
    c6: c === 6 ? x : n.c6,
    c7: c === 7 ? x : n.c7,
  }
}

/**
 * `node` (height `h >= 1`) with each child `c` of `[c0, c1)` replaced by `f(child, c)`:
 * `node` itself when none changes, else a canonical copy (the path copy of a range update).
 */
export const mapKids = (
  node: Node,
  h: number,
  c0: number,
  c1: number,
  f: (x: Node, c: number) => Node,
): Node => {
  let out: Kids | undefined
  for (let c = c0; c < c1; c++) {
    const old = child(node, c, h)
    const next = f(old, c)
    if (next !== old) (out ??= kidsOf(node, h))[c] = next
  }
  return out === undefined ? node : canonInner(out, bgOf(node))
}

/** The background a copy of `node` made by {@link kidsOf} keeps. */
export const bgOf = (node: Node): Run | Clear =>
  node.tag === 'run' ? node : node.tag === 'inner' ? node.bg : CLEAR

/** Whether `node` is one of the shared nodes. */
export const isShared = (node: Node): node is Clear | Full =>
  node.tag === 'clear' || node.tag === 'full'

/**
 * The children `k` over `bg` as a node: the shared node when all eight are
 * all clear or all set (empty slots over a run are parts of a real run, so never count as
 * shared); an inner node over a run whose slots are all filled drops the run.
 */
export const canonInner = (k: Kids, bg: Run | Clear = CLEAR): Node => {
  let b = bg
  if (b.tag === 'run') {
    let filled = true
    for (let c = 0; c < FANOUT && filled; c++) filled = k[c] !== undefined
    if (!filled) return inner(k, b)
    b = CLEAR
  }
  const first = k[0] ?? CLEAR
  if (isShared(first)) {
    let same = true
    for (let c = 1; c < FANOUT && same; c++) same = (k[c] ?? CLEAR) === first
    if (same) return first
  }
  return inner(k, b)
}

// ---------------------------------------------------------------------------------------
// Words: zero-filled slabs handed out by a bump pointer.

/** A slab being handed out and its next free word. */
interface Arena {
  slab: Uint32Array
  next: number
  readonly slabWords: number
}

/**
 * Where a bitmap's words come from: one arena for leaves (64 KiB slabs) and one for runs
 * (128 KiB slabs, one inner node of runs' worth). Every word it holds is clear until
 * handed out, and words given back are cleared first.
 */
export interface Heap {
  readonly leaves: Arena
  readonly runs: Arena
}

/** A new heap; it takes its first slab when it first hands out words. */
export const newHeap = (): Heap => ({
  leaves: { slab: new Uint32Array(0), next: 0, slabWords: 1 << 14 },
  runs: { slab: new Uint32Array(0), next: 0, slabWords: 1 << 15 },
})

/** The offset of `n` clear words of `a.slab`, from a new zero-filled slab when they do not fit. */
const take = (a: Arena, n: number): number => {
  if (a.next + n > a.slab.length) {
    a.slab = new Uint32Array(Math.max(a.slabWords, n))
    a.next = 0
  }
  const o = a.next
  a.next = o + n
  return o
}

/** A new all-clear leaf, to be written by the caller before the bitmap holding it is returned. */
export const allocLeaf = (heap: Heap): Leaf => {
  const o = take(heap.leaves, LEAF_WORDS)
  return { tag: 'leaf', w: heap.leaves.slab, o }
}

/** A new all-clear run of height `h`, to be written as for {@link allocLeaf}. */
export const allocRun = (heap: Heap, h: number): Run => {
  const o = take(heap.runs, WORDS[h] as number)
  return { tag: 'run', w: heap.runs.slab, o }
}

/**
 * Gives back `x` (of height `h`), just taken from `heap` and never shared: its words are
 * cleared, and if it is the last stretch handed out they are handed out again.
 */
export const release = (heap: Heap, x: Words, h: number): void => {
  const n = WORDS[h] as number
  x.w.fill(0, x.o, x.o + n)
  const a = h === 0 ? heap.leaves : heap.runs
  if (a.slab === x.w && a.next === x.o + n) a.next = x.o
}

/** A new leaf with the words of the height-0 node `leaf`, to be changed before it is shared. */
export const copyLeaf = (heap: Heap, leaf: Node): Leaf => {
  const out = allocLeaf(heap)
  const { w, o } = out
  if (leaf.tag === 'full') w.fill(0xffffffff, o, o + LEAF_WORDS)
  else if (leaf.tag === 'leaf') {
    // a loop: for 64 words a subarray and a call cost more
    const v = leaf.w
    const p = leaf.o
    for (let i = 0; i < LEAF_WORDS; i++) w[o + i] = v[p + i] as number
  }
  return out
}

/** Whether words `w[o .. o + n)` all equal `x`. */
export const allEqual = (w: Uint32Array, o: number, n: number, x: number): boolean => {
  for (let i = o; i < o + n; i++) if (w[i] !== x) return false
  return true
}

/**
 * `x` (of height `h`, a leaf or run), or the shared node when its words are all clear or
 * all set; a run just taken from `heap` is given back then.
 */
export const canonWords = (x: Words, h: number, heap?: Heap): Node => {
  const { w, o } = x
  const first = w[o] as number
  if (first !== 0 && first !== 0xffffffff) return x
  if (!allEqual(w, o + 1, (WORDS[h] as number) - 1, first)) return x
  if (heap !== undefined) release(heap, x, h)
  return first === 0 ? CLEAR : FULL
}

/** Set pages in a leaf's words `w[o .. o + 64)`. */
export const popWords = (w: Uint32Array, o: number): number => popcountRange(w, o, LEAF_WORDS)

export { ctz, popcount } from './bits.js'

/** The bits `[lo, hi)` of a 32-bit word, `0 <= lo < hi <= 32`, as an unsigned mask. */
export const bitsMask = (lo: number, hi: number): number =>
  ((hi === 32 ? 0xffffffff : (1 << hi) - 1) & ~((1 << lo) - 1)) >>> 0

/** Whether the host stores multi-byte integers little-endian (all Node platforms today). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Calls `f(i, m)` for each word `i` holding pages of `[a, b)` (`0 <= a`), `m` their mask. */
export const eachMask = (a: number, b: number, f: (i: number, m: number) => void): void => {
  if (a >= b) return
  const wl = a >>> 5
  const wh = (b - 1) >>> 5
  for (let i = wl; i <= wh; i++)
    f(i, bitsMask(i === wl ? a & 31 : 0, i === wh ? b - (wh << 5) : 32))
}
