// The word kernels against naive per-word references, three ways: the wasm kernels (SIMD,
// as Node has it), the scalar wasm kernels (a host that rejects the SIMD module) and the JS
// fallback (the module loaded where WebAssembly is undefined). Random word arrays up to 80k
// words (so ranges cross the 32768-word copy chunks), built from runs of clear, set, sparse
// and random words; any offsets, odd and zero lengths, searches from the edges, and outputs
// that are an input.
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as kernels from '../../src/bitmap/kernels.js'
import { jsLoops, usingWasm, type WordsOp } from '../../src/bitmap/kernels.js'

type Kernels = typeof kernels

const RUNS = { numRuns: 300 }
/** The longest arrays generated: ranges of them span up to three copy chunks. */
const MAX_WORDS = 80000
/** The kernels' copy chunk, in words. */
const CHUNK = 32768
/**
 * Distances from a search's start where an earlier WebAssembly search changed how it read
 * (64 words in JS, then copies of 1024 words doubling up to a chunk), each +-1: the search is
 * plain JavaScript now, and these stay as boundary cases of sizes a word loop unrolls over.
 */
const EDGES = [0, 64, 1088, 3136, 7232, 15424, 31808, 64576].flatMap((e) => [e - 1, e, e + 1])

// ---------------------------------------------------------------------------------------
// Inputs. An array is generated as a small spec (shown on failure) and built from a PRNG.

interface WordsSpec {
  readonly length: number
  readonly seed: number
  /** The longest run of one kind of word. */
  readonly runs: number
}

/** mulberry32: a small deterministic PRNG of uint32s. */
const prng = (seed: number): (() => number) => {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** Words in runs of one kind each: mostly clear or set, some with one bit set or clear, some random. */
const build = ({ length, seed, runs }: WordsSpec): Uint32Array => {
  const next = prng(seed)
  const w = new Uint32Array(length)
  for (let i = 0; i < length;) {
    const kind = next() % 10
    const end = Math.min(length, i + 1 + (next() % runs))
    for (; i < end; i++)
      w[i] =
        kind < 4
          ? 0
          : kind < 6
            ? 0xffffffff
            : kind === 6
              ? (1 << (next() % 32)) >>> 0
              : kind === 7
                ? ~(1 << (next() % 32)) >>> 0
                : next()
  }
  return w
}

const arbSpec = (maxLength: number): fc.Arbitrary<WordsSpec> =>
  fc.record({
    length: fc.oneof(
      fc.integer({ min: 0, max: 70 }),
      fc.integer({ min: 0, max: 5000 }),
      fc.integer({ min: 0, max: maxLength }),
    ),
    seed: fc.integer(),
    runs: fc.constantFrom(1, 3, 40, 2000, CHUNK + 5000),
  })

/** An offset or length from a natural: -1 is `max`, -2 is `max - 1`, else mod `max + 1`. */
const pick = (x: number, max: number): number =>
  x === -1 ? max : x === -2 ? Math.max(0, max - 1) : x % (max + 1)
const arbPick = fc.oneof(fc.constantFrom(-1, -2, 0, 1), fc.nat(MAX_WORDS))

/** A range `[o, o + n)` of an array. */
interface Range {
  readonly w: Uint32Array
  readonly o: number
  readonly n: number
}

const arbRange = fc.record({ spec: arbSpec(MAX_WORDS), o: arbPick, n: arbPick })

const rangeOf = ({ spec, o, n }: { spec: WordsSpec; o: number; n: number }): Range => {
  const w = build(spec)
  const oo = pick(o, w.length)
  return { w, o: oo, n: pick(n, w.length - oo) }
}

/** Where a search starts: an edge of the range (0, n - 1, n, n + 1, -1) or inside it. */
const arbFrom = fc.oneof(
  fc.constantFrom('0', 'n-1', 'n', 'n+1', '-1'),
  fc.nat(MAX_WORDS),
) as fc.Arbitrary<string | number>
const fromOf = (f: string | number, n: number): number =>
  f === '0'
    ? 0
    : f === 'n-1'
      ? Math.max(0, n - 1)
      : f === 'n'
        ? n
        : f === 'n+1'
          ? n + 1
          : f === '-1'
            ? -1
            : (f as number) % (n + 1)

/** Two ranges of the same length and an output: fresh, or one of the inputs. */
interface Binary {
  readonly a: Uint32Array
  readonly ao: number
  readonly b: Uint32Array
  readonly bo: number
  readonly n: number
  readonly out: Uint32Array
  readonly oo: number
}

type Relation = 'independent' | 'subset' | 'subsetPlusBit' | 'equal'
type OutKind = 'fresh' | 'a' | 'b'

const arbBinaryOf = (
  a: fc.Arbitrary<WordsSpec>,
  n: fc.Arbitrary<number>,
  relation: fc.Arbitrary<Relation>,
  bit: fc.Arbitrary<number>,
) =>
  fc.record({
    a,
    b: arbSpec(3000),
    ao: arbPick,
    bo: fc.integer({ min: 0, max: 40 }),
    n,
    oo: fc.integer({ min: 0, max: 40 }),
    relation,
    out: fc.constantFrom<OutKind>('fresh', 'a', 'b'),
    bit,
  })

const arbBinary = arbBinaryOf(
  arbSpec(MAX_WORDS),
  arbPick,
  fc.constantFrom<Relation>('independent', 'subset', 'subsetPlusBit', 'equal'),
  fc.nat(MAX_WORDS),
)

/**
 * Long ranges (over a chunk) where b adds one bit to a, most often in a later chunk: the
 * chunks before it must still be written.
 */
const arbBinaryLate = arbBinaryOf(
  fc.record({
    length: fc.integer({ min: CHUNK + 2, max: MAX_WORDS }),
    seed: fc.integer(),
    runs: fc.constantFrom(1, 40, 2000),
  }),
  fc.constantFrom(-1, -2),
  fc.constant<Relation>('subsetPlusBit'),
  fc.oneof(fc.constantFrom(0, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK), fc.nat(MAX_WORDS)),
)

const binaryOf = (g: typeof arbBinary extends fc.Arbitrary<infer T> ? T : never): Binary => {
  const a = build(g.a)
  const ao = pick(g.ao, a.length)
  const n = pick(g.n, a.length - ao)
  const bo = g.bo
  // b: its own words, at least long enough for the range
  const b = build({ ...g.b, length: Math.max(g.b.length, bo + n) })
  if (g.relation !== 'independent')
    for (let i = 0; i < n; i++) {
      const x = a[ao + i] as number
      b[bo + i] = g.relation === 'equal' ? x : x & (b[bo + i] as number)
    }
  if (g.relation === 'subsetPlusBit' && n > 0) {
    // add one bit a lacks, at the first word from a random place that has one
    for (let k = 0; k < n; k++) {
      const i = (g.bit + k) % n
      const missing = ~(a[ao + i] as number)
      if (missing !== 0) {
        b[bo + i] = ((b[bo + i] as number) | (missing & -missing)) >>> 0
        break
      }
    }
  }
  if (g.out === 'a') return { a, ao, b, bo, n, out: a, oo: ao }
  if (g.out === 'b') return { a, ao, b, bo, n, out: b, oo: bo }
  const out = build({ length: g.oo + n + 7, seed: g.bit, runs: 1 })
  return { a, ao, b, bo, n, out, oo: g.oo }
}

// ---------------------------------------------------------------------------------------
// References and checks.

const popRef = (w: Uint32Array, o: number, n: number): number => {
  let c = 0
  for (let i = o; i < o + n; i++) for (let v = w[i] as number; v !== 0; v = (v & (v - 1)) >>> 0) c++
  return c
}

const firstRef = (w: Uint32Array, o: number, n: number, from: number, x: number): number => {
  for (let i = Math.max(0, from); i < n; i++) if (w[o + i] !== x) return i
  return -1
}

const addsRef = ({ a, ao, b, bo, n }: Binary): boolean => {
  for (let i = 0; i < n; i++)
    if (((b[bo + i] as number) & ~(a[ao + i] as number)) !== 0) return true
  return false
}

const meetsRef = ({ a, ao, b, bo, n }: Binary): boolean => {
  for (let i = 0; i < n; i++) if (((b[bo + i] as number) & (a[ao + i] as number)) !== 0) return true
  return false
}

/** The first index where two arrays differ (or their lengths do), or -1. */
const firstDiff = (x: Uint32Array, y: Uint32Array): number => {
  if (x.length !== y.length) return Math.min(x.length, y.length)
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i
  return -1
}

/** What `out` should hold after writing `f(a, b)` over the range (or nothing, when `write` is false). */
const expectedOut = (
  g: Binary,
  f: (x: number, y: number) => number,
  write: boolean,
): Uint32Array => {
  const r = g.out.slice()
  if (write)
    for (let i = 0; i < g.n; i++)
      r[g.oo + i] = f(g.a[g.ao + i] as number, g.b[g.bo + i] as number) >>> 0
  return r
}

/** Runs `op` on a copy of the inputs (out aliasing kept) and returns the result and arrays. */
const runBinary = <R>(
  g: Binary,
  op: (...args: Parameters<WordsOp>) => R,
): { result: R; out: Uint32Array; a: Uint32Array; b: Uint32Array } => {
  const a = g.a.slice()
  const b = g.b.slice()
  const out = g.out === g.a ? a : g.out === g.b ? b : g.out.slice()
  const result = op(out, g.oo, a, g.ao, b, g.bo, g.n)
  return { result, out, a, b }
}

/** Checks a binary op writing `f` (only when `write` says so) and returning `expected`. */
const checkBinary = (
  g: Binary,
  op: WordsOp,
  f: (x: number, y: number) => number,
  expected: boolean,
  write: boolean,
): void => {
  const want = expectedOut(g, f, write)
  const got = runBinary(g, op)
  expect(got.result).toBe(expected)
  expect(firstDiff(got.out, want)).toBe(-1)
  if (g.out !== g.a) expect(firstDiff(got.a, g.a)).toBe(-1)
  if (g.out !== g.b) expect(firstDiff(got.b, g.b)).toBe(-1)
}

/** The parts of the WebAssembly API the kernels use (the project's `lib` has no DOM types). */
interface WasmLike {
  readonly validate: (bytes: Uint8Array) => boolean
  readonly Module: unknown
  readonly Instance: unknown
}

/**
 * A fresh instance of the kernels module whose host rejects its first module (the SIMD
 * one), so that it runs the scalar kernels.
 */
const withoutSimd = async (): Promise<Kernels> => {
  const real = (globalThis as unknown as { WebAssembly: WasmLike }).WebAssembly
  let validated = 0
  vi.resetModules()
  vi.stubGlobal('WebAssembly', {
    Module: real.Module,
    Instance: real.Instance,
    validate: (bytes: Uint8Array) => ++validated > 1 && real.validate(bytes),
  })
  try {
    const k = await import('../../src/bitmap/kernels.js')
    expect(k.usingWasm()).toBe(true)
    expect(validated).toBe(2)
    return k
  } finally {
    vi.unstubAllGlobals()
    vi.resetModules()
  }
}

/** The kernels module loaded where WebAssembly is undefined: every kernel its JS loop. */
const withoutWasm = async (): Promise<Kernels> => {
  vi.resetModules()
  vi.stubGlobal('WebAssembly', undefined)
  try {
    const k = await import('../../src/bitmap/kernels.js')
    // the instance is looked for (and found missing) once, here
    expect(k.usingWasm()).toBe(false)
    return k
  } finally {
    vi.unstubAllGlobals()
    vi.resetModules()
  }
}

// ---------------------------------------------------------------------------------------

it('uses wasm on this Node, and the JS fallback in a copy loaded without WebAssembly', async () => {
  expect(usingWasm()).toBe(true)
  const js = await withoutWasm()
  expect(js.usingWasm()).toBe(false)
  expect(usingWasm()).toBe(true)
})

describe.each([
  ['wasm, SIMD', 'simd'],
  ['wasm, scalar', 'scalar'],
  ['JS fallback', 'js'],
] as const)('word kernels (%s)', (_, kind) => {
  let K: Kernels = kernels
  beforeAll(async () => {
    if (kind === 'scalar') K = await withoutSimd()
    if (kind === 'js') K = await withoutWasm()
  })

  test.prop([arbRange], RUNS)('popcountWords counts the set bits of the range', (r) => {
    const { w, o, n } = rangeOf(r)
    expect(K.popcountWords(w, o, n)).toBe(popRef(w, o, n))
  })

  test.prop([arbRange, arbFrom], RUNS)(
    'firstNonZero and firstNonOnes find the first word that is not clear / not set',
    (r, f) => {
      const { w, o, n } = rangeOf(r)
      const from = fromOf(f, n)
      expect(K.firstNonZero(w, o, n, from)).toBe(firstRef(w, o, n, from, 0))
      expect(K.firstNonOnes(w, o, n, from)).toBe(firstRef(w, o, n, from, 0xffffffff))
      // searches that end in the range's last word, or at the edges of the kernels' copies
      const start = Math.max(0, from)
      const ats = [n - 1, CHUNK - 1, CHUNK, CHUNK + 1, ...EDGES.map((e) => start + e)]
      for (const at of ats.filter((i) => i >= 0 && i < n)) {
        const v = w.slice()
        v.fill(0, o + Math.max(0, from), o + n)
        v[o + at] = 1
        expect(K.firstNonZero(v, o, n, from)).toBe(firstRef(v, o, n, from, 0))
        v.fill(0xffffffff, o + Math.max(0, from), o + n)
        v[o + at] = 0xfffffffe
        expect(K.firstNonOnes(v, o, n, from)).toBe(firstRef(v, o, n, from, 0xffffffff))
      }
    },
  )

  test.prop([arbRange, fc.oneof(fc.constantFrom(0, -1), fc.nat(2 ** 24)), fc.nat(40)], RUNS)(
    'listBits32 and listWords write every set bit of the range from base, in order, up to the end of out',
    (r, base0, short) => {
      const { w, o, n } = rangeOf(r)
      // -1: the highest base whose pages fit in 32 bits (past 2^31, where an i32 wraps)
      const base = base0 === -1 ? 2 ** 32 - 32 * n : base0
      const want: number[] = []
      for (let i = 0; i < n; i++) {
        const x = w[o + i] as number
        if (x !== 0) for (let b = 0; b < 32; b++) if ((x >>> b) & 1) want.push(base + 32 * i + b)
      }
      const pre = 3
      // sized to the set bits, as the bulk export sizes it; then `short` entries too short
      for (const len of [want.length, Math.max(0, want.length - short)]) {
        const out = new Uint32Array(pre + len).fill(7)
        const c = K.listBits32(w, o, n, base, out, pre)
        expect(c).toBe(pre + len)
        expect([...out.subarray(0, pre)]).toEqual([7, 7, 7])
        expect(firstDiff(out.subarray(pre), Uint32Array.from(want.slice(0, len)))).toBe(-1)
      }
      // 64-bit page numbers from a base past 2^32
      const far = new Float64Array(want.length)
      expect(K.listWords(w, o, n, base + 2 ** 40, far, 0)).toBe(want.length)
      expect(far.every((p, i) => p === (want[i] as number) + 2 ** 40)).toBe(true)
    },
  )

  test.prop([arbRange, fc.integer({ min: 1, max: 31 }), fc.nat(20)], RUNS)(
    'shiftWords moves words up s bits, each taking the top bits of the word before',
    (r, sh, at) => {
      const { w, o, n } = rangeOf(r)
      // words [j, end) of w, j >= 1
      const j = Math.max(1, o)
      const end = Math.max(j, o + n)
      const out = new Uint32Array(at + (end - j) + 5).fill(0xdeadbeef)
      K.shiftWords(out, at, w, j, end, sh)
      for (let k = j; k < end; k++) {
        const want = (((w[k] as number) << sh) | ((w[k - 1] as number) >>> (32 - sh))) >>> 0
        if (out[at + k - j] !== want) expect([k, out[at + k - j]]).toEqual([k, want])
      }
      // nothing written outside [at, at + end - j)
      for (let i = 0; i < at; i++) expect(out[i]).toBe(0xdeadbeef)
      for (let i = at + end - j; i < out.length; i++) expect(out[i]).toBe(0xdeadbeef)
    },
  )

  test.prop([arbBinary, fc.option(fc.nat())], RUNS)(
    'meetsBits: whether a and b share a bit, also when only one word, anywhere, does',
    (g0, plant) => {
      const g = binaryOf(g0)
      expect(K.meetsBits(g.a, g.ao, g.b, g.bo, g.n)).toBe(meetsRef(g))
      // b made disjoint from a, then (maybe) given one bit of a back
      const b = g.b.slice()
      for (let i = 0; i < g.n; i++)
        b[g.bo + i] = (b[g.bo + i] as number) & ~(g.a[g.ao + i] as number)
      const h = { ...g, b }
      let shared = false
      if (plant !== null && g.n > 0) {
        const i = plant % g.n
        const x = g.a[g.ao + i] as number
        b[g.bo + i] = ((b[g.bo + i] as number) | (x & -x)) >>> 0
        shared = x !== 0
      }
      expect(meetsRef(h)).toBe(shared)
      expect(K.meetsBits(g.a, g.ao, b, g.bo, g.n)).toBe(shared)
    },
  )

  test.prop([arbBinary], RUNS)('addsBits: whether b has a bit a lacks', (g0) => {
    const g = binaryOf(g0)
    expect(K.addsBits(g.a, g.ao, g.b, g.bo, g.n)).toBe(addsRef(g))
  })

  test.prop([arbBinary], RUNS)('orWords writes a | b only when b adds a bit', (g0) => {
    const g = binaryOf(g0)
    const adds = addsRef(g)
    checkBinary(g, K.orWords, (x, y) => x | y, adds, adds)
  })

  test.prop([arbBinaryLate], RUNS)(
    'orWords writes a | b over many chunks when b adds a bit in a late one',
    (g0) => {
      const g = binaryOf(g0)
      const adds = addsRef(g)
      checkBinary(g, K.orWords, (x, y) => x | y, adds, adds)
    },
  )

  test.prop([arbBinary], RUNS)(
    'orNew returns a new array of a | b when b adds a bit, else null, and writes no input',
    (g0) => {
      const g = binaryOf(g0)
      const a = g.a.slice()
      const b = g.b.slice()
      const got = K.orNew(g.a, g.ao, g.b, g.bo, g.n)
      if (!addsRef(g)) expect(got).toBeNull()
      else {
        if (got === null) throw new Error('null where b adds a bit')
        const want = new Uint32Array(g.n)
        for (let i = 0; i < g.n; i++)
          want[i] = (g.a[g.ao + i] as number) | (g.b[g.bo + i] as number)
        expect(got.length).toBe(g.n)
        expect(firstDiff(got, want)).toBe(-1)
        // its own memory: not a view of the kernels' memory or of an input
        expect(got.byteOffset).toBe(0)
        expect(got.buffer.byteLength).toBe(4 * g.n)
      }
      expect(firstDiff(g.a, a)).toBe(-1)
      expect(firstDiff(g.b, b)).toBe(-1)
    },
  )

  test.prop([arbBinary], RUNS)('andWords writes a & b, and says whether any is non-zero', (g0) => {
    const g = binaryOf(g0)
    const want = expectedOut(g, (x, y) => x & y, true)
    let any = false
    for (let i = 0; i < g.n; i++) if (want[g.oo + i] !== 0) any = true
    checkBinary(g, K.andWords, (x, y) => x & y, any, true)
  })

  test.prop([arbBinary], RUNS)(
    'andNotWords writes a & ~b, and says whether any is non-zero',
    (g0) => {
      const g = binaryOf(g0)
      const want = expectedOut(g, (x, y) => x & ~y, true)
      let any = false
      for (let i = 0; i < g.n; i++) if (want[g.oo + i] !== 0) any = true
      checkBinary(g, K.andNotWords, (x, y) => x & ~y, any, true)
    },
  )
})

describe('the JS fallback', () => {
  let J: Kernels = kernels
  beforeAll(async () => {
    J = await withoutWasm()
  })

  test.prop([arbRange, arbFrom, arbBinary], RUNS)(
    'answers as the wasm kernels do on the same inputs (and so do the loops of jsLoops)',
    (r, f, g0) => {
      const { w, o, n } = rangeOf(r)
      const from = fromOf(f, n)
      const g = binaryOf(g0)
      type Loops = Pick<Kernels, 'popcountWords' | 'orWords' | 'listBits32'>
      const all = (k: Kernels, loops: Loops): { answers: unknown[]; outs: Uint32Array[] } => {
        const pages = new Uint32Array(popRef(w, o, n))
        loops.listBits32(w, o, n, 0, pages, 0)
        const shifted = new Uint32Array(n)
        if (o >= 1) k.shiftWords(shifted, 0, w, o, o + n, 1 + (from & 15))
        const ops = [loops.orWords, k.andWords, k.andNotWords].map((op) => runBinary(g, op))
        return {
          answers: [
            loops.popcountWords(w, o, n),
            k.firstNonZero(w, o, n, from),
            k.firstNonOnes(w, o, n, from),
            k.addsBits(g.a, g.ao, g.b, g.bo, g.n),
            k.meetsBits(g.a, g.ao, g.b, g.bo, g.n),
            ...ops.map((r) => r.result),
          ],
          outs: [...ops.map((r) => r.out), shifted, pages],
        }
      }
      const wasm = all(kernels, kernels)
      for (const js of [all(J, J), all(kernels, jsLoops)]) {
        expect(js.answers).toEqual(wasm.answers)
        js.outs.forEach((out, i) => expect(firstDiff(out, wasm.outs[i] as Uint32Array)).toBe(-1))
      }
    },
  )

  it('is used, with the same answers, when WebAssembly is missing', async () => {
    vi.resetModules()
    vi.stubGlobal('WebAssembly', undefined)
    try {
      const k = await import('../../src/bitmap/kernels.js')
      expect(k.usingWasm()).toBe(false)
      const w = build({ length: 70003, seed: 7, runs: 2000 })
      expect(k.popcountWords(w, 3, 70000)).toBe(popRef(w, 3, 70000))
      expect(k.firstNonOnes(w, 1, 70000, 5)).toBe(firstRef(w, 1, 70000, 5, 0xffffffff))
      const list = new Uint32Array(popRef(w, 1, 70000))
      expect(k.listBits32(w, 1, 70000, 0, list, 0)).toBe(list.length)
      const first = firstRef(w, 1, 70000, 0, 0)
      const x = w[1 + first] as number
      expect(list[0]).toBe(32 * first + 31 - Math.clz32(x & -x))
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
})
