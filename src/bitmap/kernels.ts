/**
 * Word kernels over ranges of `Uint32Array`s (internal), page `p` of a range being bit
 * `p % 32` of word `p / 32`. Counting, OR and listing the set bits as 32-bit page numbers run
 * in WebAssembly for long ranges (the three that beat a JavaScript loop by 1.5x; source
 * kernels.wat, compiled by wabt into kernels.wasm.ts),
 * compiled on first use, the caller's words copied into its memory 128 KiB at a time. The
 * rest, short ranges and hosts without WebAssembly use JavaScript loops with the same
 * results ({@link jsLoops} holds the three kernels' loops, for the bench to measure them
 * against the kernels; tests reach the fallback everywhere by loading the modules where
 * `WebAssembly` is undefined). Offsets and lengths are in words and may be any integers.
 *
 * @module
 */
import { popcountRange } from './bits.js'
import { SCALAR_WASM, SIMD_WASM } from './kernels.wasm.js'

/** Words of each of the module's two areas: 32768 (128 KiB); B starts after A. */
const CHUNK_WORDS = 1 << 15

/** The part of the WebAssembly API used here (the project's `lib` has no DOM types). */
interface WasmApi {
  readonly validate: (bytes: Uint8Array) => boolean
  readonly Module: new (bytes: Uint8Array) => object
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Readonly<Record<string, unknown>> }
}

/** A kernel over the bytes `[p, end)` of area A (and B at the same offset). */
type Kernel = (p: number, end: number) => number

/** `list(p, end, base)`: writes the set bits of bytes `[p, end)` of A to area L, returns how many. */
type ListKernel = (p: number, end: number, base: number) => number

/** An instance's memory (as words) and kernels. */
interface Instance {
  readonly mem: Uint32Array
  readonly popcnt: Kernel
  readonly or: Kernel
  readonly list: ListKernel
}

/** The bytes of a hex string. */
const unhex = (hex: string): Uint8Array => {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Compiles and instantiates one build of the module, or null if the host rejects it. */
const instantiate = (hex: string): Instance | null => {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly
    if (api === undefined) return null
    const bytes = unhex(hex)
    if (!api.validate(bytes)) return null
    const ex = new api.Instance(new api.Module(bytes), {}).exports
    const memory = ex['memory'] as { readonly buffer: ArrayBuffer } | undefined
    const popcnt = ex['popcnt']
    const or = ex['or']
    const list = ex['list']
    if (
      memory === undefined ||
      typeof popcnt !== 'function' ||
      typeof or !== 'function' ||
      typeof list !== 'function'
    )
      return null
    return {
      mem: new Uint32Array(memory.buffer),
      popcnt: popcnt as Kernel,
      or: or as Kernel,
      list: list as ListKernel,
    }
  } catch {
    return null
  }
}

/**
 * The module's one piece of state: the instance (undefined until first needed, null when
 * WebAssembly is unavailable), set once.
 */
const kernels: { instance: Instance | null | undefined } = { instance: undefined }

/** The instance, compiled on first use: with SIMD if the host takes it, else scalar. */
const load = (): Instance | null => {
  if (kernels.instance === undefined)
    kernels.instance = instantiate(SIMD_WASM) ?? instantiate(SCALAR_WASM)
  return kernels.instance
}

/** The instance to use for a range of `n` words, or null for the JS loops. */
const wasmFor = (n: number, threshold: number): Instance | null => (n < threshold ? null : load())

/**
 * Whether the wasm kernels are in use (false: the JS fallback, because WebAssembly is
 * missing or rejected the module). Compiles the module on first call, as the first long
 * range does.
 */
export const usingWasm = (): boolean => load() !== null

/**
 * Ranges shorter than these (in words) use the JS loops: below them a wasm call and its
 * copies cost more than the kernel saves (Node 20, x86-64).
 */
const POPCOUNT_MIN = 64
const OR_MIN = 512
const LIST_MIN = 512

/** Word address of the list kernel's output area L (after A and B). */
const LIST_OUT = 2 * CHUNK_WORDS

/**
 * Copies `w[o .. o + n)` (`n >= 1`) to word `at` of `m` and pads it with zero words to a
 * multiple of 16 (64 bytes, a kernel's step); returns the byte address after the padded copy.
 */
const fill = (m: Uint32Array, at: number, w: Uint32Array, o: number, n: number): number => {
  m.set(w.subarray(o, o + n), at)
  const end = at + ((n + 15) & -16)
  for (let i = at + n; i < end; i++) m[i] = 0
  return end * 4
}

/**
 * Set bits in `w[o .. o + n)`: the dirty pages of a range. Long ranges are counted in wasm
 * with `i64.popcnt`; short ones, and hosts without WebAssembly, by a Harley-Seal count in
 * JavaScript (bits.ts).
 */
export const popcountWords = (w: Uint32Array, o: number, n: number): number => {
  const k = wasmFor(n, POPCOUNT_MIN)
  if (k === null) return popcountRange(w, o, n)
  let c = 0
  for (let i = 0; i < n; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    c += k.popcnt(0, fill(k.mem, 0, w, o + i, len))
  }
  return c
}

/** The first `i` in `[from, n)` with `w[o + i] !== x` (0 or 0xffffffff), or -1. */
const firstNot = (w: Uint32Array, o: number, n: number, from: number, x: number): number => {
  let i = from < 0 ? 0 : from
  // one word at a time up to a multiple of 8, then 8 at a time with one test
  for (; i < n && (i & 7) !== 0; i++) if (w[o + i] !== x) return i
  const y = x | 0
  for (; i + 8 <= n; i += 8) {
    const j = o + i
    if (
      (((w[j] as number) ^ y) |
        ((w[j + 1] as number) ^ y) |
        ((w[j + 2] as number) ^ y) |
        ((w[j + 3] as number) ^ y) |
        ((w[j + 4] as number) ^ y) |
        ((w[j + 5] as number) ^ y) |
        ((w[j + 6] as number) ^ y) |
        ((w[j + 7] as number) ^ y)) !==
      0
    )
      break
  }
  for (; i < n; i++) if (w[o + i] !== x) return i
  return -1
}

/**
 * The first index `i` in `[from, n)` with `w[o + i] !== 0`, or -1: the next word holding a
 * set page. A JavaScript loop testing eight words per branch. `from` below 0 counts as 0.
 * To find every set bit of a range, {@link listBits32} lists them in one pass.
 */
export const firstNonZero = (w: Uint32Array, o: number, n: number, from: number): number =>
  firstNot(w, o, n, from, 0)

/**
 * The first index `i` in `[from, n)` with `w[o + i] !== 0xffffffff`, or -1: the next word
 * holding a clear page. As {@link firstNonZero}.
 */
export const firstNonOnes = (w: Uint32Array, o: number, n: number, from: number): number =>
  firstNot(w, o, n, from, 0xffffffff)

/**
 * The first `i` in `[from, n)` where `b & (a ^ flip)` is not clear, or -1: with `flip` -1,
 * where `b` adds a bit to `a`; with 0, where they share a bit. Four words per branch.
 */
const anyAt = (
  flip: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  from: number,
  n: number,
): number => {
  let i = from
  for (; i + 4 <= n; i += 4)
    if (
      (((b[bo + i] as number) & ((a[ao + i] as number) ^ flip)) |
        ((b[bo + i + 1] as number) & ((a[ao + i + 1] as number) ^ flip)) |
        ((b[bo + i + 2] as number) & ((a[ao + i + 2] as number) ^ flip)) |
        ((b[bo + i + 3] as number) & ((a[ao + i + 3] as number) ^ flip))) !==
      0
    )
      break
  for (; i < n; i++) if (((b[bo + i] as number) & ((a[ao + i] as number) ^ flip)) !== 0) return i
  return -1
}

/**
 * Whether `b[bo .. bo + n)` has any bit that `a[ao .. ao + n)` lacks: `any(b & ~a)`, the
 * test that a union would change `a`. A JavaScript loop.
 */
export const addsBits = (
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): boolean => anyAt(-1, a, ao, b, bo, 0, n) >= 0

/**
 * Whether the two ranges share a set bit: `any(a & b)`, the test that a difference would
 * change `a`. A JavaScript loop.
 */
export const meetsBits = (
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): boolean => anyAt(0, a, ao, b, bo, 0, n) >= 0

/**
 * A word operation writing `out[oo + i]` from `a[ao + i]` and `b[bo + i]` for `i < n`,
 * returning a flag (what the flag means is the operation's own).
 */
export type WordsOp = (
  out: Uint32Array,
  oo: number,
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
) => boolean

/** {@link orWords} in JavaScript (the words before the first that adds a bit are copied). */
const orLoop: WordsOp = (out, oo, a, ao, b, bo, n) => {
  const first = anyAt(-1, a, ao, b, bo, 0, n)
  if (first < 0) return false
  // below `first`, b adds nothing: a | b = a
  if (first > 0 && (out !== a || oo !== ao)) out.set(a.subarray(ao, ao + first), oo)
  for (let i = first; i < n; i++) out[oo + i] = (a[ao + i] as number) | (b[bo + i] as number)
  return true
}

/**
 * `out[oo + i] = a[ao + i] | b[bo + i]` for `i < n`, but only when `b` adds a bit to `a`:
 * returns false and writes nothing when it does not (so an unchanged run can be kept).
 * `out` may be `a` or `b` at the same offset (or overlap neither). Long ranges are ORed in
 * wasm 128 KiB at a time, the test folded into the same pass; short ones, and hosts
 * without WebAssembly, in JS (the words before the first that adds a bit are copied).
 */
export const orWords: WordsOp = (out, oo, a, ao, b, bo, n) => {
  const k = wasmFor(n, OR_MIN)
  if (k === null) return orLoop(out, oo, a, ao, b, bo, n)
  const m = k.mem
  let adds = false
  for (let i = 0; i < n; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    const end = fill(m, 0, a, ao + i, len)
    fill(m, CHUNK_WORDS, b, bo + i, len)
    if (k.or(0, end) === 0 && !adds) continue
    if (!adds) {
      adds = true
      // the chunks before this one: b added nothing, so a | b = a
      if (i > 0 && (out !== a || oo !== ao)) out.set(a.subarray(ao, ao + i), oo)
    }
    out.set(m.subarray(0, len), oo + i)
  }
  return adds
}

/**
 * `a[ao + i] | b[bo + i]` for `i < n` as a new array of `n` words, or null when `b` adds no
 * bit to `a`. In wasm (`n` from 512 to 32768 words) the result is copied out of the module's
 * memory with `slice` (an array of its own, every word of it the OR's). Otherwise a new
 * array and {@link orWords}.
 */
export const orNew = (
  a: Uint32Array,
  ao: number,
  b: Uint32Array,
  bo: number,
  n: number,
): Uint32Array | null => {
  const k = n > CHUNK_WORDS ? null : wasmFor(n, OR_MIN)
  if (k === null) {
    const out = new Uint32Array(n)
    return orWords(out, 0, a, ao, b, bo, n) ? out : null
  }
  const end = fill(k.mem, 0, a, ao, n)
  fill(k.mem, CHUNK_WORDS, b, bo, n)
  return k.or(0, end) === 0 ? null : k.mem.slice(0, n)
}

/** `out = a & (b ^ flip)` over the range, and whether any result word is non-zero. */
const andOp =
  (flip: number): WordsOp =>
  (out, oo, a, ao, b, bo, n) => {
    let any = 0
    for (let i = 0; i < n; i++) {
      const r = (a[ao + i] as number) & ((b[bo + i] as number) ^ flip)
      out[oo + i] = r
      any |= r
    }
    return any !== 0
  }

/**
 * `out[oo + i] = a[ao + i] & b[bo + i]` for `i < n`, returning whether any result word is
 * non-zero (an intersection that leaves a run clear can share the clear node). `out` may
 * be `a` or `b` at the same offset. A JavaScript loop.
 */
export const andWords: WordsOp = andOp(0)

/**
 * `out[oo + i] = a[ao + i] & ~b[bo + i]` for `i < n` (a difference), returning whether any
 * result word is non-zero. A JavaScript loop.
 */
export const andNotWords: WordsOp = andOp(-1)

/**
 * Writes the set bits of `w[o .. o + n)`, bit `b` of word `o + k` as `base + 32 * k + b`, to
 * `out` from index `c`, in increasing order, and returns the index after the last written:
 * `out.length` when it fills, whether or not every set bit fitted (writes past the end of a
 * typed array are dropped), so a caller that sized `out` to the set bits it counted knows
 * every one is written. Eight clear words in a row (most of a sparse log, or of a finder's
 * window of a mostly clear run) are skipped after one test of the eight ORed together. An
 * all-set word (a dense run of a log) is 32 consecutive pages, written without a bit
 * search. Otherwise a word's lowest set bit is written without a branch (to `out[c]`, and
 * `c` moves on only if the word is not clear; a clear word's write is overwritten by the
 * next set page), so the clear and one-page words of a sparse log cost no mispredicted
 * branch; a word's further bits take a loop. A JavaScript loop, for any `base` below 2^53
 * and either array type; {@link listBits32} runs the WebAssembly kernel for 32-bit page
 * numbers.
 */
export const listWords = (
  w: Uint32Array,
  o: number,
  n: number,
  base: number,
  out: Float64Array | Uint32Array,
  c: number,
): number => {
  const end = out.length
  for (let k = 0; k < n;) {
    const stop = Math.min(n, k + 8)
    const j = o + k
    if (
      stop - k === 8 &&
      ((w[j] as number) |
        (w[j + 1] as number) |
        (w[j + 2] as number) |
        (w[j + 3] as number) |
        (w[j + 4] as number) |
        (w[j + 5] as number) |
        (w[j + 6] as number) |
        (w[j + 7] as number)) ===
        0
    ) {
      k = stop
      continue
    }
    for (; k < stop; k++) {
      if (c >= end) return end
      let x = (w[o + k] as number) | 0
      // offsets in the run as small integers; the base is added on each store
      const b = (k << 5) + 31
      if (x === -1) {
        const s = base + (k << 5)
        for (let i = 0; i < 32; i++) out[c + i] = s + i
        c += 32
        continue
      }
      out[c] = base + (b - Math.clz32(x & -x))
      // 1 when x is not 0 (the sign bit of x | -x)
      c += (x | -x) >>> 31
      for (x &= x - 1; x !== 0; x &= x - 1) out[c++] = base + (b - Math.clz32(x & -x))
    }
  }
  return Math.min(c, end)
}

/**
 * Writes the set bits of `w[o .. o + n)` as page numbers from `base` to `out` from index
 * `c`, and returns the index after the last written ({@link listBits32}).
 */
export type List32Op = (
  w: Uint32Array,
  o: number,
  n: number,
  base: number,
  out: Uint32Array,
  c: number,
) => number

/**
 * {@link listWords} into a `Uint32Array`, for pages below 2^32 (`base + 32 * n <= 2^32`).
 * Long ranges run in wasm, 128 KiB of words at a time: the words copied in, their set bits
 * listed into the module's memory, the list copied out with one `TypedArray.prototype.set`
 * (bench/bitmap.mjs, kernels: 2.3-4.4x the JavaScript loop in eight runs on 2026-12-04, on a
 * 2^28-page log of 1% random pages and dense runs).
 */
export const listBits32: List32Op = (w, o, n, base, out, c) => {
  const k = base + 32 * n > 2 ** 32 ? null : wasmFor(n, LIST_MIN)
  if (k === null) return listWords(w, o, n, base, out, c)
  const m = k.mem
  for (let i = 0; i < n && c < out.length; i += CHUNK_WORDS) {
    const len = Math.min(CHUNK_WORDS, n - i)
    const got = k.list(0, fill(m, 0, w, o + i, len), (base + 32 * i) | 0)
    const take = Math.min(got, out.length - c)
    out.set(m.subarray(LIST_OUT, LIST_OUT + take), c)
    c += take
  }
  return c
}

/**
 * The JavaScript loops of the three wasm kernels, whatever the host has: what
 * {@link popcountWords}, {@link orWords} and {@link listBits32} run for short ranges and
 * without WebAssembly, with the same results. For the bench, to measure each kernel against
 * its loop in the same run (a kernel is kept only if it beats its loop by 1.5x).
 */
export const jsLoops = Object.freeze({
  popcountWords: popcountRange,
  orWords: orLoop,
  listBits32: listWords as List32Op,
})

/**
 * `out[at + k] = (src[j + k] << s) | (src[j + k - 1] >>> (32 - s))` for `j + k < end`
 * (`j >= 1`, `0 < s < 32`): the source words moved up `s` bits, for a fold of a log at a
 * page that is not a multiple of 32 (QEMU goes bit by bit there; whole words give the same
 * answer). A JavaScript loop.
 */
export const shiftWords = (
  out: Uint32Array,
  at: number,
  src: Uint32Array,
  j: number,
  end: number,
  s: number,
): void => {
  const r = 32 - s
  let prev = src[j - 1] as number
  for (let i = j; i < end; i++) {
    const x = src[i] as number
    out[at + i - j] = (x << s) | (prev >>> r)
    prev = x
  }
}
