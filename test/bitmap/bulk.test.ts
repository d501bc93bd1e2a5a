// The bulk exports (toPageArray, toPageArray32, toRunArrays) against a flat model: the pages
// a random set of pages, ranges and a dirty log set, listed by a plain loop over a bit array.
import { expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'

const P = PageIndex.unsafe
const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Sizes around leaves (2048 pages) and runs (131072), and a few random ones. */
const arbPages = fc.oneof(
  fc.constantFrom(0, 1, 2047, 2048, 2049, 131072, 131073, 300000),
  fc.integer({ min: 1, max: 400000 }),
)

const arbCase = arbPages.chain((pages) =>
  fc.record({
    pages: fc.constant(pages),
    singles: fc.array(fc.nat(Math.max(0, pages - 1)), { maxLength: 50 }),
    ranges: fc.array(fc.tuple(fc.nat(pages), fc.nat(pages)), { maxLength: 4 }),
    log: fc.option(fc.tuple(fc.nat(Math.max(0, pages - 1)), fc.integer()), { nil: undefined }),
  }),
)

test.prop([arbCase], { numRuns: 150 })(
  'list the set pages and runs as a plain loop over the flat bit array does',
  ({ pages, singles, ranges, log }) => {
    const flat = new Uint8Array(pages)
    let bm = right(bitmap.empty(pages))
    for (const p of singles.filter((p) => p < pages)) {
      flat[p] = 1
      bm = right(bitmap.set(P(p))(bm))
    }
    for (const [a, b] of ranges) {
      const [lo, hi] = [Math.min(a, b), Math.max(a, b)]
      flat.fill(1, lo, hi)
      bm = right(bitmap.setRange(P(lo), P(hi))(bm))
    }
    if (log !== undefined && pages > 0) {
      // a dirty log of random words from a page, folded in: runs of words in the tree
      const [base, seed] = log
      const n = Math.min(pages - base, 200000)
      const words = new Uint32Array(Math.ceil(n / 64) * 2)
      let s = seed | 1
      for (let i = 0; i < words.length; i++) {
        s ^= s << 13
        s ^= s >>> 17
        s ^= s << 5
        words[i] = i % 7 === 0 ? 0xffffffff : s >>> 0
      }
      for (let i = 0; i < n; i++) if ((words[i >>> 5]! >>> (i & 31)) & 1) flat[base + i] = 1
      const u64 = new BigUint64Array(words.buffer)
      bm = right(bitmap.foldLeBitmap({ words: u64, base: P(base), pages: n })(bm))
    }
    const want: number[] = []
    for (let p = 0; p < pages; p++) if (flat[p] === 1) want.push(p)
    expect([...right(bitmap.toPageArray(bm))]).toEqual(want)
    expect([...right(bitmap.toPageArray32(bm))]).toEqual(want)
    const starts: number[] = []
    const lengths: number[] = []
    for (let p = 0; p < pages; p++)
      if (flat[p] === 1 && (p === 0 || flat[p - 1] === 0)) {
        let e = p
        while (e < pages && flat[e] === 1) e++
        starts.push(p)
        lengths.push(e - p)
      }
    const rs = right(bitmap.toRunArrays(bm))
    expect([[...rs.starts], [...rs.lengths]]).toEqual([starts, lengths])
  },
)

test.prop([fc.integer({ min: 1, max: 3 })])(
  'a full bitmap lists every page, and one of more than 2^32 pages no 32-bit array',
  (k) => {
    const pages = 2048 * 8 * k + 5
    const all = right(bitmap.full(pages))
    const got = right(bitmap.toPageArray(all))
    expect(got.length).toBe(pages)
    expect(got.every((p, i) => p === i)).toBe(true)
    expect(pipe(bitmap.empty(2 ** 32 + k), E.chainW(bitmap.toPageArray32), E.isLeft)).toBe(true)
    expect(
      pipe(
        bitmap.empty(2 ** 32),
        E.chainW(bitmap.toPageArray32),
        E.map((a) => a.length),
      ),
    ).toEqual(E.right(0))
  },
)
