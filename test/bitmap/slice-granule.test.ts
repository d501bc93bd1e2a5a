// Slices (one RAMBlock's pages of the ram_addr_t bitmap) and page-granularity changes
// (host pages to target pages, huge-page granules) against a Set<number> model.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'

const RUNS = { numRuns: 1000 }
/** A number as a page, unchecked: the bitmap functions check it against the bitmap. */
const P = PageIndex.unsafe

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}
const sorted = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b)

const EDGE_SIZES = [0, 1, 63, 64, 65, 2047, 2048, 2049, 4096, 16384, 16385, 20000, 40000]
const arbPages = fc.oneof(fc.constantFrom(...EDGE_SIZES), fc.integer({ min: 0, max: 40000 }))

/** A bitmap and its model: scattered pages plus a few long runs. */
const arbBitmap = (pages: number): fc.Arbitrary<{ bm: PageBitmap; model: Set<number> }> =>
  fc
    .tuple(
      fc.array(fc.nat(Math.max(0, pages - 1)), { maxLength: 50 }),
      fc.array(fc.tuple(fc.nat(pages), fc.nat(5000)), { maxLength: 3 }),
    )
    .map(([ps, rs]) => {
      const model = new Set(pages === 0 ? [] : ps)
      const runs = rs.map(([start, n]) => ({ start: P(start), end: P(Math.min(pages, start + n)) }))
      for (const r of runs) for (let p: number = r.start; p < r.end; p++) model.add(p)
      const bm = right(
        bitmap.fromRuns(pages)([
          ...runs,
          ...[...model].map((p) => ({ start: P(p), end: P(p + 1) })),
        ]),
      )
      return { bm, model }
    })

/** A point in `[0, pages]`, often on a leaf or word boundary. */
const pointIn = (pages: number): fc.Arbitrary<PageIndex> =>
  fc
    .oneof(
      fc.nat(pages),
      fc.nat(Math.floor(pages / 2048)).map((k) => k * 2048),
      fc.nat(Math.floor(pages / 64)).map((k) => k * 64),
      fc.constantFrom(0, pages),
    )
    .map(P)

describe('slice and setSlice (properties)', () => {
  test.prop(
    [
      arbPages.chain((p) =>
        fc.tuple(
          arbBitmap(p),
          fc
            .tuple(pointIn(p), pointIn(p))
            .map(([a, b]): [PageIndex, PageIndex] => (a <= b ? [a, b] : [b, a])),
        ),
      ),
    ],
    RUNS,
  )(
    'slice takes the pages of [start, end) as pages from 0, and setSlice puts them back',
    ([{ bm, model }, [a, b]]) => {
      const s = right(bitmap.slice(a, b)(bm))
      expect(s.pages).toBe(b - a)
      expect(bitmap.toPages(s)).toEqual(
        sorted(model)
          .filter((p) => p >= a && p < b)
          .map((p) => p - a),
      )
      expect(bitmap.Eq.equals(right(bitmap.setSlice(a, s)(bm)), bm)).toBe(true)
      expect(bitmap.toPages(bm)).toEqual(sorted(model))
    },
  )
  test.prop(
    [
      arbPages.chain((p) =>
        fc.tuple(
          arbBitmap(p),
          fc.nat(p).chain((n) => fc.tuple(arbBitmap(n), pointIn(p - n))),
        ),
      ),
    ],
    RUNS,
  )(
    'setSlice replaces [offset, offset + src.pages) with the source pages',
    ([dst, [src, offset]]) => {
      const r = right(bitmap.setSlice(offset, src.bm)(dst.bm))
      const want = new Set([...dst.model].filter((p) => p < offset || p >= offset + src.bm.pages))
      for (const p of src.model) want.add(offset + p)
      expect(bitmap.toPages(r)).toEqual(sorted(want))
      expect(bitmap.toPages(dst.bm)).toEqual(sorted(dst.model))
    },
  )
  test.prop(
    [
      arbPages,
      fc.integer({ min: 1, max: 100 }),
      fc.oneof(fc.double(), fc.constantFrom(-1, NaN, 0.5)),
    ],
    RUNS,
  )('a source that does not fit, or a bad offset, is PageRangeOutOfBounds', (pages, extra, bad) => {
    const dst = right(bitmap.empty(pages))
    const big = right(bitmap.empty(pages + extra))
    const r = bitmap.setSlice(P(0), big)(dst)
    expect(E.isLeft(r) && r.left._tag).toBe('PageRangeOutOfBounds')
    const small = right(bitmap.empty(0))
    const s = bitmap.setSlice(P(bad), small)(dst)
    expect(E.isRight(s)).toBe(Number.isInteger(bad) && bad >= 0 && bad <= pages)
  })
})

describe('slices share storage', () => {
  it('a leaf-aligned slice of a large bitmap reuses its leaves', () => {
    const bm = right(
      pipe(
        bitmap.empty(2 ** 24),
        E.chain(
          bitmap.foldLeBitmap({
            words: BigUint64Array.from(
              { length: 2 ** 16 },
              (_, i) => (BigInt(i) * 0x9e3779b97f4a7c15n) & ((1n << 64n) - 1n),
            ),
            base: P(2 ** 20),
          }),
        ),
      ),
    )
    const before = bitmap.retainedBytes([bm])
    const s = right(bitmap.slice(P(2 ** 20), P(2 ** 20 + 2 ** 22))(bm))
    expect(bitmap.count(s)).toBe(bitmap.count(bm))
    // only the slice's own inner nodes are new
    expect(bitmap.retainedBytes([bm, s]) - before).toBeLessThan(before / 20)
    const back = right(bitmap.setSlice(P(2 ** 20), s)(right(bitmap.empty(2 ** 24))))
    expect(bitmap.Eq.equals(back, bm)).toBe(true)
    expect(bitmap.retainedBytes([bm, s, back]) - before).toBeLessThan(before / 10)
  })
})

describe('page granularity (properties)', () => {
  const arbSmall = fc.integer({ min: 0, max: 3000 }).chain((p) => arbBitmap(p))
  test.prop([arbSmall, fc.integer({ min: 1, max: 20 })], RUNS)(
    'hostToTarget sets ratio target pages per host page; targetToHost undoes it',
    ({ bm, model }, ratio) => {
      const t = right(bitmap.hostToTarget(ratio)(bm))
      expect(t.pages).toBe(bm.pages * ratio)
      const want = sorted(model).flatMap((p) =>
        Array.from({ length: ratio }, (_, i) => p * ratio + i),
      )
      expect(bitmap.toPages(t)).toEqual(want)
      expect(bitmap.Eq.equals(right(bitmap.targetToHost(ratio)(t)), bm)).toBe(true)
    },
  )
  test.prop([arbSmall, fc.integer({ min: 1, max: 600 })], RUNS)(
    'targetToHost sets a host page when any of its target pages is set',
    ({ bm, model }, ratio) => {
      const h = right(bitmap.targetToHost(ratio)(bm))
      expect(h.pages).toBe(Math.ceil(bm.pages / ratio))
      expect(bitmap.toPages(h)).toEqual(
        sorted(new Set([...model].map((p) => Math.floor(p / ratio)))),
      )
    },
  )
  test.prop(
    [arbSmall, fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(512, 2048, 4096))],
    RUNS,
  )('roundToGranule sets every granule holding a set page, up to the end', ({ bm, model }, g) => {
    const r = right(bitmap.roundToGranule(g)(bm))
    const want = new Set<number>()
    for (const p of model) {
      const start = Math.floor(p / g) * g
      for (let q = start; q < Math.min(start + g, bm.pages); q++) want.add(q)
    }
    expect(r.pages).toBe(bm.pages)
    expect(bitmap.toPages(r)).toEqual(sorted(want))
    expect(bitmap.Eq.equals(right(bitmap.roundToGranule(g)(r)), r)).toBe(true)
  })
  test.prop([fc.oneof(fc.double(), fc.constantFrom(0, -1, 1.5, NaN, Infinity, 2 ** 53))], RUNS)(
    'ratios and granules that are not positive integers are InvalidRatio',
    (ratio) => {
      const bm = right(bitmap.full(100))
      const ok = Number.isInteger(ratio) && ratio >= 1 && ratio <= 2 ** 52
      for (const f of [bitmap.targetToHost, bitmap.roundToGranule]) {
        const r = f(ratio)(bm)
        expect(E.isRight(r)).toBe(ok)
        if (E.isLeft(r)) expect(r.left).toMatchObject({ _tag: 'InvalidRatio' })
      }
      const h = bitmap.hostToTarget(ratio)(bm)
      expect(E.isRight(h)).toBe(ok && ratio * 100 <= 2 ** 52)
    },
  )
  it('a 2 MiB-page RAMBlock dirties whole 512-page granules', () => {
    const block = right(bitmap.fromPages(4096)([P(0), P(513), P(4095)]))
    expect(pipe(block, bitmap.roundToGranule(512), E.map(bitmap.runs))).toEqual(
      E.right([
        { start: 0, end: 1024 },
        { start: 3584, end: 4096 },
      ]),
    )
  })
})
