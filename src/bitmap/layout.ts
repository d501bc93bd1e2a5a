/**
 * How a page bitmap is stored (internal to the bitmap module): a persistent radix tree.
 *
 * - A leaf (height 0) holds 2048 pages as 64 32-bit words (256 bytes): page `p` of the
 *   leaf is bit `p % 32` of word `p / 32`, so the words are QEMU's `unsigned long` bitmap
 *   layout (include/qemu/bitops.h `BIT_WORD`/`BIT_MASK`) cut to 32 bits, and on a
 *   little-endian host they are byte-for-byte the little-endian 64-bit words of
 *   `KVM_GET_DIRTY_LOG`.
 * - An inner node of height `h` has up to 8 children of height `h - 1`, so it covers
 *   `2048 * 8^h` pages. Only a root may have fewer than 8 children; a missing child is an
 *   all-clear subtree.
 * - For each height there is one shared all-clear node and one shared all-set node, so an
 *   empty or full bitmap of any size costs nothing. Operations keep the tree canonical: a
 *   leaf or node whose pages are all clear (all set) is replaced by the shared one (with
 *   the exceptions inside runs below).
 * - A node of height 1 or more may also be a run: the words of all its leaves laid out one
 *   after another, `span(h) / 32` words from `w[o]` (a leaf is the run of height 0). A
 *   fold writes a mixed stretch of a dirty log as runs of height {@link RUN_HEIGHT} (16 KiB,
 *   64 leaves), so bulk work (the fold itself, counting, searching) handles 16 KiB at a time
 *   rather than a leaf and an object per 256 bytes. Pages inside a run are not made
 *   canonical: a run may hold all-clear or all-set leaves (a run itself is never all clear
 *   or all set).
 * - An inner node whose length is 9 has a home slab in its last slot, and any of its
 *   children may be a number: the run of words at that offset of the home slab. So a node
 *   made from a run (when an update goes inside it) costs one array, not an object per
 *   child. Walks get a child with {@link child}, which makes a transient run object for a
 *   number or for a child of a run. Such a node is not made canonical either: its offsets
 *   may point at all-clear words.
 * - Nothing reachable from a bitmap is ever written again: an update copies the leaf it
 *   changes and the inner nodes on the path to it (at most 14 arrays of 8), and shares
 *   everything else with the old bitmap.
 *
 * Leaves live in 64 KiB slabs handed out by a bump allocator: a leaf is a slab and an
 * offset. A slot is written only by the operation that allocated it, before the bitmap
 * holding it is returned, so no bitmap ever sees a change. Bulk operations that write
 * whole leaves (a fold) take slabs that are not zero-filled (`Buffer.allocUnsafeSlow`
 * under Node) and clear the slab's free tail before returning, so no reachable slab holds
 * memory the process used before. Slabs save the ~190 bytes that
 * every typed array costs in V8 and the microsecond each allocation takes: a one-page update
 * retains about 1 KiB (leaf 256 bytes, path 5 to 6 arrays of 112 bytes). Bulk operations
 * fill runs of consecutive slots with one `TypedArray.prototype.set`. A slab is freed when
 * no leaf in it is referenced any more; until then it is kept whole, so versions that keep
 * only scattered leaves of many slabs hold more than their leaves (at worst a 64 KiB slab
 * per leaf) — `retainedBytes` counts slabs whole and shows it. Runs come from 128 KiB
 * slabs of their own (eight runs, one inner node's worth), handed out and sealed the same
 * way.
 *
 * @module
 */

import { popcount } from './bits.js'
import { firstNonOnes, firstNonZero } from './kernels.js'

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

/** A leaf: 64 words at `w[o .. o + 64)`; never written once reachable from a bitmap. */
export interface Leaf {
  readonly w: Uint32Array
  readonly o: number
}
/**
 * An inner node: up to 8 children, all one height lower; with 9 entries, the last is the
 * home slab and a child may be a number, the offset of a run in it.
 */
export type Inner = ReadonlyArray<Node | number | Uint32Array>
/**
 * A node of the tree: an inner node (an array), or a run of words (a leaf at height 0, a
 * run of leaves above).
 */
export type Node = Leaf | Inner
/** An inner node being built: children (or run offsets) and an optional home slab. */
export type Slots = Array<Node | number | Uint32Array>

/** Whether `node` is an inner node (an array) rather than a run of words. */
export const isInner = (node: Node): node is Inner => Array.isArray(node)

/** The height of the runs a fold writes: 2 (64 leaves, 131072 pages, 16 KiB). */
export const RUN_HEIGHT = 2

/** `SPAN[h]`: the pages under a node of height `h` (2048 * 8^h). */
export const SPAN: ReadonlyArray<number> = Array.from(
  { length: MAX_HEIGHT + 1 },
  (_, h) => 2 ** (LEAF_SHIFT + FAN_SHIFT * h),
)

/** `span(h)`: the pages under a node of height `h`. */
export const span = (h: number): number => SPAN[h] as number

/** The height of the tree for a bitmap of `pages` pages: 0 up to 2048 pages. */
export const heightFor = (pages: number): number => {
  if (pages <= LEAF_BITS) return 0
  // bits = the bits needed to write pages - 1, so span(h) >= pages iff 11 + 3h >= bits
  const hi = Math.floor((pages - 1) / 2 ** 32)
  const bits = hi === 0 ? 32 - Math.clz32(pages - 1) : 64 - Math.clz32(hi)
  return Math.ceil((bits - LEAF_SHIFT) / FAN_SHIFT)
}

/** How many children the root of a `pages`-page tree of height `h >= 1` needs. */
export const rootWidth = (pages: number, h: number): number =>
  Math.max(1, Math.ceil(pages / span(h - 1)))

/** `WORDS[h]`: the 32-bit words of a run of height `h` (`span(h) / 32`). */
export const WORDS: ReadonlyArray<number> = SPAN.map((s) => s / 32)

/** `INV_SPAN[h]`: `1 / SPAN[h]`, exact (a power of two), to divide by a multiply. */
const INV_SPAN: ReadonlyArray<number> = SPAN.map((s) => 1 / s)

/** The child of `node` (height `h >= 1`) that holds `page` (any page under the node). */
export const childIndex = (page: number, h: number): number =>
  (page * (INV_SPAN[h - 1] as number)) & (FANOUT - 1)

/** The shared all-clear leaf. */
export const ZERO_LEAF: Leaf = { w: new Uint32Array(LEAF_WORDS), o: 0 }
/** The shared all-set leaf. */
export const FULL_LEAF: Leaf = { w: new Uint32Array(LEAF_WORDS).fill(0xffffffff), o: 0 }

const level = (leaf: Leaf): ReadonlyArray<Node> => {
  const out: Node[] = [leaf]
  for (let h = 1; h <= MAX_HEIGHT; h++) out.push(new Array<Node>(FANOUT).fill(out[h - 1] as Node))
  return out
}
const ZEROS = level(ZERO_LEAF)
const FULLS = level(FULL_LEAF)

/** The shared all-clear node of height `h`. */
export const zero = (h: number): Node => ZEROS[h] as Node
/** The shared all-set node of height `h`. */
export const full = (h: number): Node => FULLS[h] as Node
/** Whether `node` is one of the shared all-clear or all-set nodes (of any height). */
export const isShared = (node: Node): boolean => ZEROS.includes(node) || FULLS.includes(node)

/**
 * Child `c` of the node `node` of height `h >= 1` (a missing child is all clear). The child
 * of a run, or a child stored as an offset, is a new run object over the same words.
 */
export const child = (node: Node, c: number, h: number): Node => {
  if (!isInner(node)) return { w: node.w, o: node.o + c * (WORDS[h - 1] as number) }
  const x = node[c]
  if (typeof x === 'number') return { w: node[FANOUT] as Uint32Array, o: x }
  return (x as Node | undefined) ?? (ZEROS[h - 1] as Node)
}

/** The children of an inner node (its length less the home slab, if it has one). */
export const childCount = (node: Inner): number => (node.length > FANOUT ? FANOUT : node.length)

/**
 * Stores `run` as child `c` of `out`, an inner node being built: as an offset when `out`
 * has 8 children and the run's slab is (or can become) its home slab, else as the object.
 */
export const putRun = (out: Slots, c: number, run: Leaf): void => {
  if (out.length >= FANOUT) {
    const home = out[FANOUT]
    if (home === undefined) out[FANOUT] = run.w
    if (home === undefined || home === run.w) {
      out[c] = run.o
      return
    }
  }
  out[c] = run
}

/** Words in a slab: 16384 (64 KiB, 256 leaves). */
const SLAB_WORDS = 1 << 14

/**
 * A new slab whose words may hold anything: under Node from `Buffer.allocUnsafeSlow` (an
 * `ArrayBuffer` of exactly 64 KiB, not zero-filled), which saves a bulk fold the time of
 * clearing memory it then overwrites; elsewhere a zero-filled `Uint32Array`.
 */
const rawSlab: (words: number) => Uint32Array =
  typeof Buffer === 'function' && typeof Buffer.allocUnsafeSlow === 'function'
    ? (words) => {
        const b = Buffer.allocUnsafeSlow(words * 4)
        return new Uint32Array(b.buffer, b.byteOffset, words)
      }
    : (words) => new Uint32Array(words)

/**
 * A slab being handed out, its next free word, and whether its free words may hold
 * anything (a raw slab just started, or words given back after they were written;
 * {@link sealArena} clears them). (An object rather than module variables: V8 treats a
 * module `let` as a constant until it changes, and then throws away the optimized code of
 * every function that read it, on each new slab.)
 */
interface Arena {
  slab: Uint32Array
  next: number
  raw: boolean
}

/** The slab leaves are handed out from. */
const arena: Arena = { slab: new Uint32Array(SLAB_WORDS), next: 0, raw: false }

/**
 * `words` words of `a`'s slab, from a new slab of `slabWords` raw words when they do not
 * fit in the one being handed out.
 */
const take = (a: Arena, slabWords: number, words: number): Leaf => {
  if (a.next + words > a.slab.length) {
    a.slab = rawSlab(slabWords)
    a.next = 0
    a.raw = true
  }
  const o = a.next
  a.next = o + words
  return { w: a.slab, o }
}

/** Clears the free words of `a`'s slab if they may hold anything. */
const seal = (a: Arena): void => {
  if (!a.raw) return
  a.slab.fill(0, a.next)
  a.raw = false
}

/**
 * A fresh leaf whose words are not yet written (they may hold anything): the caller writes
 * all 64 before the bitmap holding it is returned, and never after that, and calls
 * {@link sealArena} before returning. For bulk operations that fill whole leaves, such as
 * a fold.
 */
export const allocRaw = (): Leaf => take(arena, SLAB_WORDS, LEAF_WORDS)

/**
 * Clears the free words of a slab {@link allocRaw} started, so that no slab reachable from
 * a bitmap holds memory the process used before (only the slab being handed out has free
 * words, and it is the only one that can). Once per bulk operation: at most 64 KiB.
 */
export const sealArena = (): void => {
  seal(runArena)
  seal(arena)
}

/** Words in a run slab: 32768 (128 KiB, eight runs of height {@link RUN_HEIGHT}). */
const RUN_SLAB_WORDS = 1 << 15

/** The slab runs are handed out from. */
const runArena: Arena = { slab: new Uint32Array(0), next: 0, raw: false }

/**
 * A fresh run of `words` words (at most 32768) whose words may hold anything: the caller
 * writes all of them before the bitmap holding it is returned, and calls
 * {@link sealArena} before returning, as for {@link allocRaw}.
 */
export const allocRun = (words: number): Leaf => take(runArena, RUN_SLAB_WORDS, words)

/** Gives back `run`, the last run {@link allocRun} handed out, unwritten or not yet shared. */
export const releaseRun = (run: Leaf): void => {
  if (run.w === runArena.slab && run.o < runArena.next) {
    runArena.next = run.o
    runArena.raw = true
  }
}

/**
 * `run` (of height `h`, just written by its caller from {@link allocRun}), or the shared
 * node when its words are all clear or all set, the run then given back.
 */
export const keepRun = (run: Leaf, h: number): Node => {
  const r = canonRun(run, h)
  if (r !== run) releaseRun(run)
  return r
}

/**
 * A fresh all-clear leaf, to be filled in by the caller before the bitmap holding it is
 * returned (and never written after that).
 */
export const allocLeaf = (): Leaf => {
  if (arena.next === SLAB_WORDS) {
    arena.slab = new Uint32Array(SLAB_WORDS)
    arena.next = 0
    arena.raw = false
  }
  const o = arena.next
  arena.next = o + LEAF_WORDS
  const w = arena.slab
  if (arena.raw) for (let i = o; i < o + LEAF_WORDS; i++) w[i] = 0
  return { w, o }
}

/**
 * Gives back `leaf`, just allocated by {@link allocLeaf} or {@link allocRaw} and never
 * shared: its words are cleared, and if it is the last leaf handed out its slot is handed
 * out again.
 */
export const releaseLeaf = (leaf: Leaf): void => {
  const { w, o } = leaf
  w.fill(0, o, o + LEAF_WORDS)
  if (w === arena.slab && o === arena.next - LEAF_WORDS) arena.next = o
}

/** A fresh copy of `leaf`, to be changed by the caller before it is shared. */
export const copyLeaf = (leaf: Leaf): Leaf => {
  const out = allocLeaf()
  if (leaf === ZERO_LEAF) return out
  const { w, o } = leaf
  const ow = out.w
  const oo = out.o
  for (let i = 0; i < LEAF_WORDS; i++) ow[oo + i] = w[o + i] as number
  return out
}

/** `leaf`, or the shared leaf with the same pages if it is all clear or all set. */
export const canonLeaf = (leaf: Leaf): Leaf => {
  const { w, o } = leaf
  const first = w[o] as number
  if (first !== 0 && first !== 0xffffffff) return leaf
  for (let i = 1; i < LEAF_WORDS; i++) if (w[o + i] !== first) return leaf
  return first === 0 ? ZERO_LEAF : FULL_LEAF
}

/** `children` as a node of height `h`, or the shared node when all clear or all set. */
export const canonInner = (children: Inner, h: number): Node => {
  const z = ZEROS[h - 1]
  const f = FULLS[h - 1]
  const first = children[0]
  if (first !== z && first !== f) return children
  const n = childCount(children)
  for (let i = 1; i < n; i++) if (children[i] !== first) return children
  if (first === z) return ZEROS[h] as Node
  return n === FANOUT ? (FULLS[h] as Node) : children
}

/**
 * `node` (height `h`), or the shared node when it is a run (or leaf) of all-clear or all-set
 * words: for a run taken out of another (a child of a run, or one stored as an offset) that
 * is about to be stored in a node of its own, where it must be canonical.
 */
export const canonRun = (node: Node, h: number): Node => {
  if (isInner(node) || node === ZERO_LEAF || node === FULL_LEAF) return node
  if (h === 0) return canonLeaf(node)
  const n = WORDS[h] as number
  if (firstNonZero(node.w, node.o, n, 0) < 0) return ZEROS[h] as Node
  if (firstNonOnes(node.w, node.o, n, 0) < 0) return FULLS[h] as Node
  return node
}

/**
 * Set pages in a leaf's words `w[o .. o + 64)`: a Harley-Seal count — eight words at a time
 * pass through carry-save adders into running ones, twos and fours words, and only every
 * eighth word's worth of carries (the eights) is counted bit-parallel (SWAR), so most words
 * cost a few bitwise operations instead of a full count each.
 */
export const popWords = (w: Uint32Array, o: number): number => {
  let ones = 0
  let twos = 0
  let fours = 0
  let n = 0
  for (let i = o; i < o + LEAF_WORDS; i += 8) {
    let a = w[i] as number
    let b = w[i + 1] as number
    let u = ones ^ a
    const tA = (ones & a) | (u & b)
    ones = u ^ b
    a = w[i + 2] as number
    b = w[i + 3] as number
    u = ones ^ a
    const tB = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ tA
    const fA = (twos & tA) | (u & tB)
    twos = u ^ tB
    a = w[i + 4] as number
    b = w[i + 5] as number
    u = ones ^ a
    const tC = (ones & a) | (u & b)
    ones = u ^ b
    a = w[i + 6] as number
    b = w[i + 7] as number
    u = ones ^ a
    const tD = (ones & a) | (u & b)
    ones = u ^ b
    u = twos ^ tC
    const fB = (twos & tC) | (u & tD)
    twos = u ^ tD
    u = fours ^ fA
    const eights = (fours & fA) | (u & fB)
    fours = u ^ fB
    n += popcount(eights)
  }
  return 8 * n + 4 * popcount(fours) + 2 * popcount(twos) + popcount(ones)
}

export { ctz, popcount } from './bits.js'

/** The bits `[lo, hi)` of a 32-bit word, `0 <= lo < hi <= 32`, as an unsigned mask. */
export const bitsMask = (lo: number, hi: number): number =>
  ((hi === 32 ? 0xffffffff : (1 << hi) - 1) & ~((1 << lo) - 1)) >>> 0

/** Whether the host stores multi-byte integers little-endian (all Node platforms today). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Sets pages `[a, b)` (leaf-relative, `0 <= a < b <= 2048`) in a leaf being built. */
export const setBits = (leaf: Leaf, a: number, b: number): void => {
  const { w, o } = leaf
  const wl = a >>> 5
  const wh = (b - 1) >>> 5
  for (let i = wl; i <= wh; i++)
    w[o + i] = (w[o + i] as number) | bitsMask(i === wl ? a & 31 : 0, i === wh ? b - (wh << 5) : 32)
}
