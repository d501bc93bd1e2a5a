// Errors are values: no bitmap function throws, whatever numbers it is given — negative,
// fractional, NaN, infinite, past 2^53 — and a Left always says what was wrong.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'

const RUNS = { numRuns: 1000 }
/** Any number passed as a page, unchecked (as plain JavaScript could pass it). */
const P = PageIndex.unsafe

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer({ min: -5, max: 70000 }),
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -0,
    2 ** 52,
    2 ** 52 + 1,
    2 ** 53,
    Number.MAX_VALUE,
    2048,
    2049,
    64,
  ),
)

const SIZES = [0, 1, 64, 100, 2048, 2049, 20000, 65536]
const arbBitmap = fc
  .tuple(fc.constantFrom(...SIZES), fc.array(fc.nat(70000), { maxLength: 20 }))
  .map(([pages, ps]): PageBitmap => {
    const r = bitmap.fromPages(pages)(ps.filter((p) => p < pages).map(P))
    if (E.isLeft(r)) throw new Error(r.left.message)
    return r.right
  })

const isError = (e: unknown): boolean =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as { _tag?: unknown })._tag === 'string' &&
  typeof (e as { message?: unknown }).message === 'string'

/** A Left holds a tagged error with a message; a Right anything. */
const wellFormed = (r: E.Either<unknown, unknown>): void => {
  if (E.isLeft(r)) expect(isError(r.left)).toBe(true)
}

describe('fuzzed inputs never throw', () => {
  test.prop([arbBitmap, anyNumber, anyNumber], RUNS)(
    'page, range, search and slice functions',
    (bm, a, b) => {
      const [pa, pb] = [P(a), P(b)]
      for (const r of [
        bitmap.empty(a),
        bitmap.full(a),
        bitmap.test(pa)(bm),
        bitmap.set(pa)(bm),
        bitmap.clear(pa)(bm),
        bitmap.setRange(pa, pb)(bm),
        bitmap.clearRange(pa, pb)(bm),
        bitmap.countRange(pa, pb)(bm),
        bitmap.testAny(pa, pb)(bm),
        bitmap.testAll(pa, pb)(bm),
        bitmap.slice(pa, pb)(bm),
        bitmap.fromPages(a)([pb]),
        bitmap.fromRuns(a)([{ start: pa, end: pb }]),
        bitmap.fromRuns(bm.pages)([{ start: pb, end: pa }]),
        bitmap.hostToTarget(a)(bm),
        bitmap.targetToHost(a)(bm),
        bitmap.roundToGranule(a)(bm),
      ] as ReadonlyArray<E.Either<unknown, unknown>>)
        wellFormed(r)
      for (const o of [bitmap.nextSet(pa)(bm), bitmap.nextClear(pa)(bm)]) {
        if (O.isSome(o)) {
          expect(Number.isInteger(o.value) && o.value >= 0 && o.value < bm.pages).toBe(true)
          expect(o.value >= a).toBe(true)
        }
      }
      const t = bitmap.withMutations((m) => {
        m.set(pa)
        m.clear(pb)
        m.setRange(pa, pb)
        m.clearRange(pb, pa)
        wellFormed(m.test(pa))
      })(bm)
      wellFormed(t)
    },
  )
  test.prop([arbBitmap, arbBitmap, anyNumber, anyNumber], RUNS)(
    'combining, folding and writing back',
    (x, y, a, b) => {
      for (const r of [
        bitmap.union(y)(x),
        bitmap.intersection(y)(x),
        bitmap.difference(y)(x),
        bitmap.setSlice(P(a), y)(x),
        bitmap.foldLeBitmap({ words: BigUint64Array.of(5n, 7n), base: P(a), pages: b })(x),
        bitmap.foldLeBitmap({ words: Uint8Array.of(1, 2, 3), base: P(a) })(x),
        bitmap.fromLeWords(a)(BigUint64Array.of(1n)),
        bitmap.fromLeBytes(a)(Uint8Array.of(1)),
        bitmap.toLeWords(x),
        bitmap.toLeBytes(x),
      ])
        wellFormed(r)
      expect(typeof bitmap.equals(y)(x)).toBe('boolean')
      expect(bitmap.retainedBytes([x, y])).toBeGreaterThan(0)
    },
  )
})
