// Page bitmaps against a naive model: a plain Set<number> of set pages. Every operation,
// and sequences of random operations, must agree with the model; invalid pages and ranges
// must come back as Left with the model unchanged; and every older version must still
// hold exactly the pages it held when it was made.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'
import { LEAF_BITS, span } from '../../src/bitmap/layout.js'
import { checkTree } from './check-tree.js'

const RUNS = { numRuns: 1000 }
/** A number as a page, unchecked: the bitmap functions check it against the bitmap. */
const P = PageIndex.unsafe

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}
const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b)
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i)

/** The maximal runs of a sorted list of pages. */
const runsOf = (ps: readonly number[]): Array<{ start: number; end: number }> => {
  const out: Array<{ start: number; end: number }> = []
  for (const p of ps) {
    const last = out[out.length - 1]
    if (last !== undefined && last.end === p) last.end = p + 1
    else out.push({ start: p, end: p + 1 })
  }
  return out
}

/** The bitmap holds exactly the model's pages, by every way of reading it. */
const agrees = (bm: PageBitmap, model: ReadonlySet<number>): void => {
  const want = sorted(model)
  expect(bitmap.toPages(bm)).toEqual(want)
  expect(bitmap.count(bm)).toBe(want.length)
  expect(bitmap.reducePages(0, (n: number) => n + 1)(bm)).toBe(want.length)
  expect(bitmap.runs(bm)).toEqual(runsOf(want))
  expect(bitmap.reduceRuns(0, (n: number, r) => n + r.end - r.start)(bm)).toBe(want.length)
  expect(bitmap.isEmpty(bm)).toBe(want.length === 0)
  expect(bitmap.isFull(bm)).toBe(want.length === bm.pages)
  checkTree(bm)
}

// Sizes around every boundary the layout has: 32-bit words, 64-bit words, leaves (2048
// pages) and height-1 nodes (16384 pages), plus arbitrary sizes.
const EDGE_SIZES = [0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 2047, 2048, 2049, 4096, 16383, 16384]
const arbPages = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_SIZES, 16385, 20000) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20000 }) },
  { weight: 1, arbitrary: fc.constantFrom(32768, 40000, 40001) },
)

/** A page biased to 0, the last page and the word, leaf and node boundaries. */
const pageIn = (pages: number): fc.Arbitrary<PageIndex> =>
  (pages === 0
    ? fc.constant(0)
    : fc.oneof(
        fc.integer({ min: 0, max: pages - 1 }),
        fc.constantFrom(0, pages - 1),
        fc
          .tuple(
            fc.constantFrom(32, 64, LEAF_BITS, span(1)),
            fc.nat(20),
            fc.integer({ min: -1, max: 1 }),
          )
          .map(([unit, k, d]) => Math.min(pages - 1, Math.max(0, unit * k + d))),
      )
  ).map(P)

/** A range `[start, end)` within `[0, pages]`, with long runs so subtrees fill up. */
const rangeIn = (pages: number): fc.Arbitrary<[PageIndex, PageIndex]> =>
  fc
    .tuple(
      fc.oneof(pageIn(pages), fc.constant(P(pages))),
      fc.oneof(pageIn(pages), fc.constant(P(pages)), fc.constant(P(0))),
    )
    .map(([a, b]) => (a <= b ? [a, b] : [b, a]))

/**
 * Any number, mostly bad as a page: negative, fractional, NaN, infinite, just past the end;
 * passed as a page unchecked (as plain JavaScript, or a wrong `PageIndex.unsafe`, could).
 */
const badNumber = (pages: number): fc.Arbitrary<PageIndex> =>
  fc
    .oneof(
      fc.constantFrom(-1, pages, pages + 1, 0.5, pages - 0.5, NaN, Infinity, -Infinity, 2 ** 53),
      fc.double(),
    )
    .map(P)

const arbSetPages = (pages: number): fc.Arbitrary<PageIndex[]> =>
  pages === 0 ? fc.constant([]) : fc.array(pageIn(pages), { maxLength: 60 })

const withPages = <T>(f: (pages: number) => fc.Arbitrary<T>): fc.Arbitrary<[number, T]> =>
  arbPages.chain((pages) => f(pages).map((t): [number, T] => [pages, t]))

/** A bitmap and its model: some pages and some ranges set, some cleared. */
const arbBitmap = (pages: number): fc.Arbitrary<{ bm: PageBitmap; model: Set<number> }> =>
  fc
    .tuple(arbSetPages(pages), fc.array(fc.tuple(rangeIn(pages), fc.boolean()), { maxLength: 4 }))
    .map(([ps, rs]) => {
      let bm = right(bitmap.fromPages(pages)(ps))
      const model = new Set<number>(ps)
      for (const [[a, b], value] of rs) {
        bm = right((value ? bitmap.setRange : bitmap.clearRange)(a, b)(bm))
        for (let p: number = a; p < b; p++) {
          if (value) model.add(p)
          else model.delete(p)
        }
      }
      return { bm, model }
    })

describe('page bitmap constructors', () => {
  test.prop([arbPages], RUNS)('empty and full hold no page and every page', (pages) => {
    agrees(right(bitmap.empty(pages)), new Set())
    const f = right(bitmap.full(pages))
    expect(bitmap.count(f)).toBe(pages)
    expect(bitmap.isFull(f)).toBe(true)
    checkTree(f)
  })
  test.prop([withPages(arbSetPages)], RUNS)(
    'fromPages sets exactly the pages given',
    ([pages, ps]) => {
      agrees(right(bitmap.fromPages(pages)(ps)), new Set(ps))
    },
  )
  test.prop([withPages((p) => fc.array(rangeIn(p), { maxLength: 5 }))], RUNS)(
    'fromRuns sets exactly the runs given, in any order and overlapping',
    ([pages, rs]) => {
      const bm = right(bitmap.fromRuns(pages)(rs.map(([start, end]) => ({ start, end }))))
      const model = new Set<number>()
      for (const [a, b] of rs) for (let p = a; p < b; p++) model.add(p)
      agrees(bm, model)
    },
  )
  test.prop([withPages(badNumber)], RUNS)(
    'bad page counts and pages are errors',
    ([pages, bad]) => {
      if (!(Number.isInteger(bad) && bad >= 0 && bad <= 2 ** 52)) {
        const e = bitmap.empty(bad)
        expect(E.isLeft(e) && e.left._tag).toBe('InvalidPageCount')
        expect(E.isLeft(bitmap.full(bad))).toBe(true)
      }
      const fp = bitmap.fromPages(pages)([bad])
      if (!(Number.isInteger(bad) && bad >= 0 && bad < pages))
        expect(E.isLeft(fp) && fp.left._tag).toBe('PageOutOfRange')
    },
  )
})

describe('single pages (properties)', () => {
  test.prop([withPages((p) => fc.tuple(arbBitmap(p), fc.oneof(pageIn(p), badNumber(p))))], RUNS)(
    'test, set and clear agree with the model and leave the old bitmap alone',
    ([pages, [{ bm, model }, page]]) => {
      const before = bitmap.toPages(bm)
      const valid = Number.isInteger(page) && page >= 0 && page < pages
      const t = bitmap.test(page)(bm)
      const s = bitmap.set(page)(bm)
      const c = bitmap.clear(page)(bm)
      if (!valid) {
        for (const r of [t, s, c]) {
          expect(E.isLeft(r)).toBe(true)
          if (E.isLeft(r)) {
            expect(r.left).toMatchObject({ _tag: 'PageOutOfRange', pages })
            expect(Object.is(r.left.page, page)).toBe(true)
          }
        }
        return
      }
      expect(t).toEqual(E.right(model.has(page)))
      agrees(right(s), new Set([...model, page]))
      agrees(right(c), new Set([...model].filter((p) => p !== page)))
      if (model.has(page)) expect(right(s)).toBe(bm)
      else expect(right(c)).toBe(bm)
      expect(bitmap.toPages(bm)).toEqual(before)
    },
  )
})

describe('ranges (properties)', () => {
  test.prop([withPages((p) => fc.tuple(arbBitmap(p), rangeIn(p)))], RUNS)(
    'setRange, clearRange, countRange, testAny and testAll agree with the model',
    ([, [{ bm, model }, [a, b]]]) => {
      const before = bitmap.toPages(bm)
      const inRange = range(a, b)
      agrees(right(bitmap.setRange(a, b)(bm)), new Set([...model, ...inRange]))
      agrees(right(bitmap.clearRange(a, b)(bm)), new Set([...model].filter((p) => p < a || p >= b)))
      const n = inRange.filter((p) => model.has(p)).length
      expect(bitmap.countRange(a, b)(bm)).toEqual(E.right(n))
      expect(bitmap.testAny(a, b)(bm)).toEqual(E.right(n > 0))
      expect(bitmap.testAll(a, b)(bm)).toEqual(E.right(n === b - a))
      expect(bitmap.toPages(bm)).toEqual(before)
    },
  )
  test.prop(
    [withPages((p) => fc.tuple(arbBitmap(p), badNumber(p), fc.integer({ min: -2, max: 2 })))],
    RUNS,
  )('ranges outside the bitmap or reversed are errors', ([pages, [{ bm }, bad, d]]) => {
    for (const [a, b] of [
      [bad, pages],
      [0, bad],
      [Math.min(pages, 5), Math.min(pages, 5) - 1 - Math.abs(d)],
      [0, pages + 1 + Math.abs(d)],
    ] as const) {
      const valid = Number.isInteger(a) && Number.isInteger(b) && 0 <= a && a <= b && b <= pages
      for (const r of [
        bitmap.setRange(P(a), P(b))(bm),
        bitmap.clearRange(P(a), P(b))(bm),
        bitmap.countRange(P(a), P(b))(bm),
        bitmap.testAny(P(a), P(b))(bm),
        bitmap.testAll(P(a), P(b))(bm),
        bitmap.slice(P(a), P(b))(bm),
      ]) {
        expect(E.isLeft(r)).toBe(!valid)
        if (E.isLeft(r)) expect(r.left).toMatchObject({ _tag: 'PageRangeOutOfBounds', pages })
      }
    }
  })
})

describe('searching (properties)', () => {
  test.prop(
    [
      withPages((p) =>
        fc.tuple(
          arbBitmap(p),
          fc.oneof(pageIn(p), badNumber(p), fc.double({ min: -10, max: p + 10 }).map(P)),
        ),
      ),
    ],
    RUNS,
  )(
    'nextSet and nextClear find the first set or clear page at or after any number',
    ([pages, [{ bm, model }, from]]) => {
      const start = Math.max(0, Math.ceil(from))
      const set = Number.isNaN(from) ? undefined : sorted(model).find((p) => p >= start)
      let clear: number | undefined
      if (!Number.isNaN(from))
        for (let p = start; p < pages && clear === undefined; p++) if (!model.has(p)) clear = p
      expect(bitmap.nextSet(from)(bm)).toEqual(set === undefined ? O.none : O.some(set))
      expect(bitmap.nextClear(from)(bm)).toEqual(clear === undefined ? O.none : O.some(clear))
    },
  )
  test.prop(
    [
      withPages((p) =>
        fc.tuple(
          arbBitmap(p),
          fc.array(fc.oneof(pageIn(p), badNumber(p), fc.double({ min: -10, max: p + 10 }).map(P)), {
            maxLength: 20,
          }),
        ),
      ),
    ],
    RUNS,
  )(
    'setPageFinder answers any sequence of calls as find_next_bit, and walks every set page',
    ([pages, [{ bm, model }, froms]]) => {
      const want = sorted(model)
      const find = bitmap.setPageFinder(bm)
      // calls in any order, forwards and backwards, on one finder
      for (const from of froms) {
        const start = Math.max(0, Math.ceil(from))
        const set = Number.isNaN(from) ? undefined : want.find((p) => p >= start)
        expect(find(from)).toBe(set ?? pages)
      }
      // the migration loop: find(0), then find(page + 1) until the page count
      const walked: number[] = []
      for (let p = find(P(0)); p < pages; p = find(P(p + 1))) walked.push(p)
      expect(walked).toEqual(want)
    },
  )
})

describe('combining (properties)', () => {
  test.prop([withPages((p) => fc.tuple(arbBitmap(p), arbBitmap(p)))], RUNS)(
    'union, intersection and difference agree with the model and share inputs',
    ([, [x, y]]) => {
      const [a, b] = [x.bm, y.bm]
      const u = right(pipe(a, bitmap.union(b)))
      const i = right(pipe(a, bitmap.intersection(b)))
      const d = right(pipe(a, bitmap.difference(b)))
      agrees(u, new Set([...x.model, ...y.model]))
      agrees(i, new Set([...x.model].filter((p) => y.model.has(p))))
      agrees(d, new Set([...x.model].filter((p) => !y.model.has(p))))
      expect(right(pipe(a, bitmap.union(a)))).toBe(a)
      expect(right(pipe(a, bitmap.intersection(a)))).toBe(a)
      expect(bitmap.isEmpty(right(pipe(a, bitmap.difference(a))))).toBe(true)
      expect(bitmap.equals(u)(right(pipe(b, bitmap.union(a))))).toBe(true)
      expect(bitmap.Eq.equals(i, right(pipe(b, bitmap.intersection(a))))).toBe(true)
    },
  )
  test.prop([arbPages, fc.integer({ min: 1, max: 100 })], RUNS)(
    'different sizes are a SizeMismatch',
    (pages, d) => {
      const a = right(bitmap.empty(pages))
      const b = right(bitmap.empty(pages + d))
      for (const op of [bitmap.union, bitmap.intersection, bitmap.difference]) {
        const r = pipe(a, op(b))
        expect(E.isLeft(r) && r.left).toMatchObject({
          _tag: 'SizeMismatch',
          pages,
          otherPages: pages + d,
        })
      }
      expect(bitmap.equals(b)(a)).toBe(false)
    },
  )
  test.prop([withPages((p) => fc.tuple(arbBitmap(p), arbBitmap(p)))], RUNS)(
    'equals and Eq hold exactly when the models are equal',
    ([, [x, y]]) => {
      const same = sorted(x.model).join() === sorted(y.model).join()
      expect(bitmap.equals(y.bm)(x.bm)).toBe(same)
      expect(bitmap.Eq.equals(x.bm, y.bm)).toBe(same)
      // the same pages reached another way are equal
      const again = right(bitmap.fromPages(x.bm.pages)(sorted(x.model).reverse().map(P)))
      expect(bitmap.Eq.equals(x.bm, again)).toBe(true)
    },
  )
})

// --- sequences of random operations against the model

type Op =
  | { readonly kind: 'set' | 'clear'; readonly page: PageIndex }
  | { readonly kind: 'setRange' | 'clearRange'; readonly start: PageIndex; readonly end: PageIndex }
  | {
      readonly kind: 'union' | 'intersection' | 'difference'
      readonly pages: readonly PageIndex[]
    }
  | {
      readonly kind: 'setSlice'
      readonly offset: PageIndex
      readonly of: readonly PageIndex[]
      readonly size: number
    }

const arbOp = (pages: number, badWeight = 3): fc.Arbitrary<Op> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom('set' as const, 'clear' as const),
          fc.oneof(
            { weight: 30, arbitrary: pageIn(pages) },
            { weight: badWeight, arbitrary: badNumber(pages) },
          ),
        )
        .map(([kind, page]) => ({ kind, page })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom('setRange' as const, 'clearRange' as const), rangeIn(pages))
        .map(([kind, [start, end]]) => ({ kind, start, end })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('union' as const, 'intersection' as const, 'difference' as const),
          arbSetPages(pages),
        )
        .map(([kind, ps]) => ({ kind, pages: ps })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(rangeIn(pages), fc.array(fc.nat(pages), { maxLength: 10 }))
        .map(([[offset, end], of]) => ({
          kind: 'setSlice' as const,
          offset,
          size: end - offset,
          of: of.filter((p) => p < end - offset).map(P),
        })),
    },
  )

/** Applies `op` to the bitmap and the model; a Left must leave the model as it was. */
const step = (bm: PageBitmap, model: Set<number>, op: Op): PageBitmap => {
  const pages = bm.pages
  switch (op.kind) {
    case 'set':
    case 'clear': {
      const r = (op.kind === 'set' ? bitmap.set : bitmap.clear)(op.page)(bm)
      const valid = Number.isInteger(op.page) && op.page >= 0 && op.page < pages
      expect(E.isRight(r)).toBe(valid)
      if (E.isLeft(r)) return bm
      if (op.kind === 'set') model.add(op.page)
      else model.delete(op.page)
      return r.right
    }
    case 'setRange':
    case 'clearRange': {
      const r = (op.kind === 'setRange' ? bitmap.setRange : bitmap.clearRange)(op.start, op.end)(bm)
      for (let p: number = op.start; p < op.end; p++) {
        if (op.kind === 'setRange') model.add(p)
        else model.delete(p)
      }
      return right(r)
    }
    case 'union':
    case 'intersection':
    case 'difference': {
      const other = right(bitmap.fromPages(pages)(op.pages))
      const theirs = new Set<number>(op.pages)
      const r = right(bitmap[op.kind](other)(bm))
      for (const p of [...model]) {
        if (op.kind === 'intersection' && !theirs.has(p)) model.delete(p)
        if (op.kind === 'difference' && theirs.has(p)) model.delete(p)
      }
      if (op.kind === 'union') for (const p of theirs) model.add(p)
      return r
    }
    case 'setSlice': {
      const src = right(bitmap.fromPages(op.size)(op.of))
      const r = right(bitmap.setSlice(op.offset, src)(bm))
      for (let p = op.offset; p < op.offset + op.size; p++) model.delete(p)
      for (const p of op.of) model.add(op.offset + p)
      return r
    }
  }
}

describe('sequences of operations (model-based)', () => {
  test.prop([withPages((p) => fc.array(arbOp(p), { minLength: 1, maxLength: 20 }))], RUNS)(
    'every step agrees with the model, and every version keeps its pages',
    ([pages, ops]) => {
      let bm = right(bitmap.empty(pages))
      const model = new Set<number>()
      const history: Array<[PageBitmap, number[]]> = []
      for (const op of ops) {
        bm = step(bm, model, op)
        expect(bitmap.count(bm)).toBe(model.size)
        checkTree(bm)
        history.push([bm, sorted(model)])
      }
      agrees(bm, model)
      for (const [version, pagesThen] of history) expect(bitmap.toPages(version)).toEqual(pagesThen)
    },
  )
  test.prop([withPages((p) => fc.array(arbOp(p, 1), { minLength: 1, maxLength: 20 }))], RUNS)(
    'withMutations gives what the same updates one by one give, and changes nothing else',
    ([pages, ops]) => {
      const start = right(bitmap.fromPages(pages)(pages > 0 ? [P(0), P(pages - 1)] : []))
      const before = bitmap.toPages(start)
      const model = new Set<number>(before)
      const single = ops.filter(
        (o) =>
          o.kind !== 'union' &&
          o.kind !== 'intersection' &&
          o.kind !== 'difference' &&
          o.kind !== 'setSlice',
      )
      const valid = single.every(
        (o) => !('page' in o) || (Number.isInteger(o.page) && o.page >= 0 && o.page < pages),
      )
      let leaked: bitmap.Transient | undefined
      const batch = bitmap.withMutations((t) => {
        leaked = t
        for (const o of single) {
          if (o.kind === 'set') t.set(o.page)
          else if (o.kind === 'clear') t.clear(o.page)
          else if (o.kind === 'setRange') t.setRange(o.start, o.end)
          else if (o.kind === 'clearRange') t.clearRange(o.start, o.end)
        }
      })(start)
      expect(E.isRight(batch)).toBe(valid)
      expect(bitmap.toPages(start)).toEqual(before)
      if (!valid) {
        expect(E.isLeft(batch) && batch.left._tag).toBe('PageOutOfRange')
        return
      }
      let one = start
      for (const o of single) one = step(one, model, o)
      const result = right(batch)
      agrees(result, model)
      expect(bitmap.Eq.equals(result, one)).toBe(true)
      // the handle is dead once the batch is over
      if (pages > 0) {
        leaked?.clearRange(P(0), P(pages))
        leaked?.set(P(0))
      }
      agrees(result, model)
      expect(bitmap.toPages(start)).toEqual(before)
    },
  )
})

describe('page bitmap edge cases', () => {
  it('handles page 0, the last page and every boundary of a 2^18 + 5-page bitmap', () => {
    const pages = 2 ** 18 + 5
    const edges = [0, 31, 32, 63, 64, 2047, 2048, 16383, 16384, 131071, 131072, pages - 1]
    const bm = right(bitmap.fromPages(pages)(edges.map(P)))
    agrees(bm, new Set(edges))
    expect(E.isLeft(bitmap.set(P(pages))(bm))).toBe(true)
    const all = right(bitmap.setRange(P(0), P(pages))(bm))
    expect(bitmap.count(all)).toBe(pages)
    checkTree(all)
    expect(pipe(all, bitmap.clear(P(pages - 1)), E.map(bitmap.nextClear(P(0))))).toEqual(
      E.right(O.some(pages - 1)),
    )
    expect(pipe(all, bitmap.clearRange(P(131071), P(131073)), E.map(bitmap.runs))).toEqual(
      E.right([
        { start: 0, end: 131071 },
        { start: 131073, end: pages },
      ]),
    )
  })
  it('has nothing to do for zero pages', () => {
    const z = right(bitmap.empty(0))
    expect(bitmap.count(z)).toBe(0)
    expect(bitmap.isEmpty(z) && bitmap.isFull(z)).toBe(true)
    expect(bitmap.toPages(z)).toEqual([])
    expect(bitmap.runs(z)).toEqual([])
    const zero = P(0)
    expect(bitmap.nextSet(zero)(z)).toEqual(O.none)
    expect(bitmap.nextClear(zero)(z)).toEqual(O.none)
    expect(E.isLeft(bitmap.test(zero)(z))).toBe(true)
    expect(bitmap.setRange(zero, zero)(z)).toEqual(E.right(z))
    expect(bitmap.countRange(zero, zero)(z)).toEqual(E.right(0))
    expect(bitmap.testAll(zero, zero)(z)).toEqual(E.right(true))
    expect(bitmap.testAny(zero, zero)(z)).toEqual(E.right(false))
    expect(E.map(bitmap.count)(bitmap.slice(zero, zero)(z))).toEqual(E.right(0))
    expect(bitmap.toLeWords(z)).toEqual(E.right(new BigUint64Array(0)))
    expect(E.map(bitmap.toPages)(bitmap.full(0))).toEqual(E.right([]))
  })
  it('spans the whole 64-bit ram_addr_t space in 4 KiB pages and no more', () => {
    const max = bitmap.MAX_PAGES
    const f = right(bitmap.full(max))
    expect(bitmap.count(f)).toBe(max)
    expect(bitmap.runs(f)).toEqual([{ start: 0, end: max }])
    const holed = right(pipe(f, bitmap.clear(P(max - 1)), E.chain(bitmap.clear(P(2 ** 40 + 3)))))
    expect(bitmap.count(holed)).toBe(max - 2)
    expect(bitmap.nextClear(P(0))(holed)).toEqual(O.some(2 ** 40 + 3))
    expect(bitmap.nextClear(P(2 ** 40 + 4))(holed)).toEqual(O.some(max - 1))
    expect(bitmap.countRange(P(2 ** 40), P(2 ** 41))(holed)).toEqual(E.right(2 ** 40 - 1))
    expect(E.isLeft(bitmap.empty(max + 1))).toBe(true)
    expect(E.isLeft(bitmap.toLeWords(f))).toBe(true)
  })
})
