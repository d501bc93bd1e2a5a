// Errors are values: no bitmap function throws, whatever numbers it is given — negative,
// fractional, NaN, infinite, past 2^53 — and a Left always says what was wrong.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E, option as O } from 'fp-ts'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'

const RUNS = { numRuns: 1000 }

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
    const r = bitmap.fromPages(
      pages,
      ps.filter((p) => p < pages),
    )
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
      for (const r of [
        bitmap.empty(a),
        bitmap.full(a),
        bitmap.test(a)(bm),
        bitmap.set(a)(bm),
        bitmap.clear(a)(bm),
        bitmap.setRange(a, b)(bm),
        bitmap.clearRange(a, b)(bm),
        bitmap.countRange(a, b)(bm),
        bitmap.testAny(a, b)(bm),
        bitmap.testAll(a, b)(bm),
        bitmap.slice(a, b)(bm),
        bitmap.fromPages(a, [b]),
        bitmap.fromRuns(a, [{ start: a, end: b }]),
        bitmap.fromRuns(bm.pages, [{ start: b, end: a }]),
        bitmap.hostToTarget(a)(bm),
        bitmap.targetToHost(a)(bm),
        bitmap.roundToGranule(a)(bm),
      ])
        wellFormed(r)
      for (const o of [bitmap.nextSet(a)(bm), bitmap.nextClear(a)(bm)]) {
        if (O.isSome(o)) {
          expect(Number.isInteger(o.value) && o.value >= 0 && o.value < bm.pages).toBe(true)
          expect(o.value >= a).toBe(true)
        }
      }
      const t = bitmap.withMutations((m) => {
        m.set(a)
        m.clear(b)
        m.setRange(a, b)
        m.clearRange(b, a)
        wellFormed(m.test(a))
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
        bitmap.setSlice(a, y)(x),
        bitmap.foldLeBitmap(BigUint64Array.of(5n, 7n), a, b)(x),
        bitmap.foldLeBitmap(Uint8Array.of(1, 2, 3), a)(x),
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
