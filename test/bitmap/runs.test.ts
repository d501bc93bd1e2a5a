// Bitmaps that hold runs (the 16 KiB stretches of words a fold writes, src/bitmap/layout.ts)
// against a flat model: one bit per page in a plain Uint32Array, updated bit by bit by code
// that shares nothing with the library. Random sequences of folds (into all-clear space and
// onto runs, at aligned and unaligned pages), page and range updates, set operations with
// other folded bitmaps, slices put back elsewhere, and batches; after each step every way
// of reading the bitmap agrees with the model, the tree is well formed, and the first
// version still holds what it held. Run with the WebAssembly kernels and with their
// JavaScript fallback (a copy of the library loaded where WebAssembly is undefined).
import { afterEach, beforeAll, describe, expect, vi } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as wasmBitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'
import { usingWasm } from '../../src/bitmap/kernels.js'
import { RUN_HEIGHT, span } from '../../src/bitmap/layout.js'
import { checkTree as wasmCheckTree } from './check-tree.js'

/** The library the steps run against: as imported, or a copy loaded without WebAssembly. */
let bitmap: typeof wasmBitmap = wasmBitmap
let checkTree: typeof wasmCheckTree = wasmCheckTree

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Pages under a run: 131072. */
const RUN_PAGES = span(RUN_HEIGHT)
const P = PageIndex.unsafe

/** A fixed pseudo-random sequence (xorshift32) from a seed. */
const xorshift = (seed: number) => {
  let s = seed | 0 || 1
  return (): number => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return s >>> 0
  }
}

/** What a stretch of a log (a run's worth of pages) holds. */
type Kind = 'clear' | 'set' | 'sparse' | 'dense' | 'leafy' | 'single'
const kindArb = fc.constantFrom<Kind>('clear', 'set', 'sparse', 'dense', 'leafy', 'single')

/** A log of `pages` pages (32-bit LE words, junk past the end) made of stretches of kinds. */
const makeLog = (pages: number, seed: number, kinds: readonly Kind[]): Uint32Array => {
  const words = new Uint32Array(Math.ceil(pages / 64) * 2)
  const rnd = xorshift(seed)
  const stretchWords = RUN_PAGES / 32
  for (let s = 0; s * stretchWords < words.length; s++) {
    const kind = kinds[s % kinds.length] ?? 'clear'
    const lo = s * stretchWords
    const hi = Math.min(words.length, lo + stretchWords)
    for (let i = lo; i < hi; i++) {
      const r = rnd()
      words[i] =
        kind === 'set'
          ? 0xffffffff
          : kind === 'sparse'
            ? r % 97 === 0
              ? 1 << (r % 32)
              : 0
            : kind === 'dense'
              ? r
              : kind === 'leafy' // whole leaves clear, set or random
                ? [0, 0xffffffff, r][Math.floor(i / 64) % 3]!
                : 0
    }
    if (kind === 'single') words[lo + (rnd() % (hi - lo))] = 1 << (rnd() % 32)
  }
  return words
}

const has = (m: Uint32Array, p: number): boolean => ((m[p >>> 5] ?? 0) & (1 << (p & 31))) !== 0
const put = (m: Uint32Array, p: number, v: boolean): void => {
  const i = p >>> 5
  const b = 1 << (p & 31)
  m[i] = v ? (m[i] ?? 0) | b : (m[i] ?? 0) & ~b
}
const fresh = (pages: number): Uint32Array => new Uint32Array(Math.ceil(pages / 64) * 2)
/** The model of a log folded in: page `base + i` for every set bit i below `n`. */
const modelFold = (m: Uint32Array, log: Uint32Array, base: number, n: number): void => {
  for (let i = 0; i < n; i++) if (has(log, i)) put(m, base + i, true)
}

type Op =
  | { op: 'set' | 'clear'; at: number }
  | { op: 'setRange' | 'clearRange'; at: number; len: number }
  | { op: 'fold'; at: number; len: number; seed: number; kinds: Kind[] }
  | { op: 'union' | 'intersection' | 'difference'; seed: number; kinds: Kind[] }
  | { op: 'setSlice'; at: number; len: number; to: number }
  | { op: 'batch'; at: number[] }

const frac = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('set' as const, 'clear' as const), at: frac }),
  fc.record({
    op: fc.constantFrom('setRange' as const, 'clearRange' as const),
    at: frac,
    len: fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 3 * RUN_PAGES })),
  }),
  fc.record({
    op: fc.constant('fold' as const),
    at: fc.oneof(frac, fc.constant(0)),
    len: fc.oneof(
      fc.integer({ min: 1, max: 4000 }),
      fc.integer({ min: 1, max: 4 * RUN_PAGES }),
      // whole nodes of eight runs, folded in one call
      { arbitrary: fc.integer({ min: 8 * RUN_PAGES, max: 20 * RUN_PAGES }), weight: 3 },
    ),
    seed: fc.integer(),
    kinds: fc.array(kindArb, { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    op: fc.constantFrom('union' as const, 'intersection' as const, 'difference' as const),
    seed: fc.integer(),
    kinds: fc.array(kindArb, { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    op: fc.constant('setSlice' as const),
    at: frac,
    len: fc.oneof(
      fc.integer({ min: 0, max: 2 * RUN_PAGES }),
      // whole words: a slice whose last run ends on a word boundary
      fc.integer({ min: 1, max: (2 * RUN_PAGES) / 32 }).map((k) => 32 * k),
    ),
    to: frac,
  }),
  fc.record({ op: fc.constant('batch' as const), at: fc.array(frac, { maxLength: 40 }) }),
)

/** Applies `op` to the bitmap and to the model. */
const apply = (bm: PageBitmap, m: Uint32Array, op: Op): PageBitmap => {
  const pages = bm.pages
  const pageAt = (f: number): PageIndex => P(Math.min(pages - 1, Math.floor(f * pages)))
  switch (op.op) {
    case 'set':
    case 'clear': {
      const p = pageAt(op.at)
      put(m, p, op.op === 'set')
      return right(bitmap[op.op](p)(bm))
    }
    case 'setRange':
    case 'clearRange': {
      const a = pageAt(op.at)
      const b = P(Math.min(pages, a + op.len))
      for (let p: number = a; p < b; p++) put(m, p, op.op === 'setRange')
      return right(bitmap[op.op](a, b)(bm))
    }
    case 'fold': {
      const n = Math.min(op.len, pages)
      const base = P(Math.min(pages - n, pageAt(op.at)))
      const log = makeLog(n, op.seed, op.kinds)
      modelFold(m, log, base, n)
      return right(
        bitmap.foldLeBitmap({ words: new BigUint64Array(log.buffer), base, pages: n })(bm),
      )
    }
    case 'union':
    case 'intersection':
    case 'difference': {
      const log = makeLog(pages, op.seed, op.kinds)
      const other = right(bitmap.fromLeWords(pages)(new BigUint64Array(log.buffer)))
      for (let p = 0; p < pages; p++) {
        const a = has(m, p)
        const b = has(log, p)
        put(m, p, op.op === 'union' ? a || b : op.op === 'intersection' ? a && b : a && !b)
      }
      return right(bitmap[op.op](other)(bm))
    }
    case 'setSlice': {
      const a = pageAt(op.at)
      const n = Math.min(op.len, pages - a)
      const to = P(Math.min(pages - n, pageAt(op.to)))
      const src = right(bitmap.slice(a, P(a + n))(bm))
      const vals = Array.from({ length: n }, (_, i) => has(m, a + i))
      // the slice itself: well formed (nothing set past its end) and the model's pages
      checkTree(src)
      expect(bitmap.count(src)).toBe(vals.filter((v) => v).length)
      vals.forEach((v, i) => put(m, to + i, v))
      return right(bitmap.setSlice(to, src)(bm))
    }
    case 'batch': {
      const ps = op.at.map(pageAt)
      ps.forEach((p, i) => put(m, p, i % 3 !== 2))
      return right(
        bitmap.withMutations((t) => ps.forEach((p, i) => (i % 3 !== 2 ? t.set(p) : t.clear(p))))(
          bm,
        ),
      )
    }
  }
}

/** Every way of reading `bm` agrees with the model `m`. */
const agree = (bm: PageBitmap, m: Uint32Array, rnd: () => number): void => {
  const pages = bm.pages
  const words = new Uint32Array(right(bitmap.toLeWords(bm)).buffer)
  expect(Buffer.compare(Buffer.from(words.buffer), Buffer.from(m.buffer))).toBe(0)
  let n = 0
  for (let p = 0; p < pages; p++) if (has(m, p)) n++
  expect(bitmap.count(bm)).toBe(n)
  // the migration walk with a finder visits exactly the model's set pages, in order
  const find = bitmap.setPageFinder(bm)
  let expected = 0
  let walked = 0
  while (expected < pages && !has(m, expected)) expected++
  for (let p = find(P(0)); p < pages; p = find(P(p + 1))) {
    if (p !== expected) expect(p).toBe(expected)
    walked++
    expected++
    while (expected < pages && !has(m, expected)) expected++
  }
  expect(walked).toBe(n)
  for (let k = 0; k < 8; k++) {
    const from = P(rnd() % pages)
    let s: number = from
    while (s < pages && !has(m, s)) s++
    let c: number = from
    while (c < pages && has(m, c)) c++
    expect(bitmap.nextSet(from)(bm)).toEqual(s < pages ? O.some(s) : O.none)
    // the same finder after the walk: calls out of order, backwards and forwards
    expect(find(from)).toBe(Math.min(s, pages))
    if (s < pages) {
      let s2 = s + 1
      while (s2 < pages && !has(m, s2)) s2++
      expect(find(P(s + 1))).toBe(Math.min(s2, pages))
    }
    expect(bitmap.nextClear(from)(bm)).toEqual(c < pages ? O.some(c) : O.none)
    const to = P(Math.min(pages, from + (rnd() % (2 * RUN_PAGES))))
    let inRange = 0
    for (let p: number = from; p < to; p++) if (has(m, p)) inRange++
    expect(bitmap.countRange(from, to)(bm)).toEqual(E.right(inRange))
    expect(bitmap.testAny(from, to)(bm)).toEqual(E.right(inRange > 0))
    expect(bitmap.testAll(from, to)(bm)).toEqual(E.right(inRange === to - from))
  }
  // runs, and equality with the same pages built another way
  let runCount = 0
  for (let p = 0; p < pages; p++) if (has(m, p) && (p === 0 || !has(m, p - 1))) runCount++
  expect(bitmap.runs(bm).length).toBe(runCount)
  expect(bitmap.equals(right(bitmap.fromLeWords(pages)(new BigUint64Array(m.buffer))))(bm)).toBe(
    true,
  )
  checkTree(bm)
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  pages: fc.oneof(
    fc.integer({ min: RUN_PAGES + 1, max: 6 * RUN_PAGES + 12345 }),
    // a root above nodes of eight runs
    { arbitrary: fc.integer({ min: 8 * RUN_PAGES + 1, max: 20 * RUN_PAGES + 777 }), weight: 2 },
  ),
  seed: fc.integer(),
  kinds: fc.array(kindArb, { minLength: 1, maxLength: 8 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 8 }),
})

interface Scenario {
  pages: number
  seed: number
  kinds: Kind[]
  ops: Op[]
}

const run = ({ pages, seed, kinds, ops }: Scenario): void => {
  const m = fresh(pages)
  const log = makeLog(pages, seed, kinds)
  modelFold(m, log, 0, pages)
  const first = right(
    bitmap.foldLeBitmap({ words: new BigUint64Array(log.buffer), base: P(0), pages })(
      right(bitmap.empty(pages)),
    ),
  )
  const firstModel = m.slice()
  const rnd = xorshift(seed ^ 0x5bd1e995)
  agree(first, m, rnd)
  let bm = first
  for (const op of ops) {
    bm = apply(bm, m, op)
    agree(bm, m, rnd)
  }
  agree(first, firstModel, rnd)
}

describe('bitmaps with runs against a flat model', () => {
  let js: { bitmap: typeof wasmBitmap; checkTree: typeof wasmCheckTree } | undefined
  beforeAll(async () => {
    vi.resetModules()
    vi.stubGlobal('WebAssembly', undefined)
    try {
      const k = await import('../../src/bitmap/kernels.js')
      // the instance is looked for (and found missing) once, here
      expect(k.usingWasm()).toBe(false)
      js = {
        bitmap: await import('../../src/bitmap/index.js'),
        checkTree: (await import('./check-tree.js')).checkTree,
      }
    } finally {
      vi.unstubAllGlobals()
      vi.resetModules()
    }
  })
  afterEach(() => {
    bitmap = wasmBitmap
    checkTree = wasmCheckTree
  })

  test('the WebAssembly kernels are in use on this Node', () => {
    expect(usingWasm()).toBe(true)
  })

  test.prop([scenario], { numRuns: 60 })('with the WebAssembly kernels', (s) => {
    run(s)
  })

  test.prop([scenario], { numRuns: 60 })('with the JavaScript fallback', (s) => {
    if (js === undefined) throw new Error('no copy of the library without WebAssembly')
    bitmap = js.bitmap
    checkTree = js.checkTree
    run(s)
  })
})
