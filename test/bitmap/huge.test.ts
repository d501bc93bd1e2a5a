// A 4 TiB guest (2^30 pages of 4 KiB) in a default Node process: memslot-sized dirty logs
// folded at aligned and unaligned pages, ranges set and cleared, then every way of reading
// the bitmap checked against a flat model (one bit per page in a plain Uint32Array, 128 MiB,
// updated bit by bit with code that shares nothing with the library). Not timed.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

const PAGES = 2 ** 30
const P = PageIndex.unsafe

/** A fixed pseudo-random sequence (xorshift32). */
const xorshift = (seed: number) => (): number => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}

/** The flat model: bit `p % 32` of word `p / 32` is page `p`. */
const model = new Uint32Array(PAGES / 32)
const has = (p: number): boolean => ((model[p >>> 5] ?? 0) & (1 << (p & 31))) !== 0
const put = (p: number, v: boolean): void => {
  const i = p >>> 5
  const m = 1 << (p & 31)
  model[i] = v ? (model[i] ?? 0) | m : (model[i] ?? 0) & ~m
}
/** The model's first set page at or after `from`, or PAGES. */
const modelNext = (from: number): number => {
  for (let p = from; p < PAGES;) {
    if ((p & 31) === 0 && model[p >>> 5] === 0) p += 32
    else if (has(p)) return p
    else p++
  }
  return PAGES
}
/** Set pages of the model in `[a, b)`, a bit at a time (whole clear words skipped). */
const modelCount = (a: number, b: number): number => {
  let n = 0
  for (let p = a; p < b;) {
    if ((p & 31) === 0 && p + 32 <= b && model[p >>> 5] === 0) p += 32
    else {
      if (has(p)) n++
      p++
    }
  }
  return n
}

/**
 * A KVM dirty log of `pages` pages (64-bit words): pages at random with probability about
 * `1 / every`, plus `runs` runs of `runLength` set pages at random places.
 */
const dirtyLog = (
  pages: number,
  seed: number,
  every: number,
  runs: number,
  runLength: number,
): BigUint64Array => {
  const words = new BigUint64Array(Math.ceil(pages / 64))
  const u32 = new Uint32Array(words.buffer)
  const rnd = xorshift(seed)
  for (let i = 0; i < pages / every; i++) {
    const p = rnd() % pages
    u32[p >>> 5] = (u32[p >>> 5] ?? 0) | (1 << (p & 31))
  }
  for (let r = 0; r < runs; r++) {
    const s = rnd() % Math.max(1, pages - runLength)
    for (let p = s; p < s + runLength && p < pages; p++)
      u32[p >>> 5] = (u32[p >>> 5] ?? 0) | (1 << (p & 31))
  }
  // junk past the last page, which a fold of `pages` pages must ignore
  for (let p = pages; p < u32.length * 32; p += 3)
    u32[p >>> 5] = (u32[p >>> 5] ?? 0) | (1 << (p & 31))
  return words
}

/** The model after QEMU's bit-by-bit set_dirty_lebitmap: page `base + i` for each set bit i. */
const modelFold = (log: BigUint64Array, base: number, pages: number): void => {
  const u32 = new Uint32Array(log.buffer)
  for (let i = 0; i < pages;) {
    if ((i & 31) === 0 && u32[i >>> 5] === 0) i += 32
    else {
      if (((u32[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0) put(base + i, true)
      i++
    }
  }
}

// [first page, pages, seed, 1/density, runs, run length]: memslot-sized logs at
// leaf-, word- and un-aligned pages, one over the end of the guest, one folded onto pages
// an earlier one already set, with runs long enough to fill whole leaves and subtrees.
const SLOTS: ReadonlyArray<readonly [number, number, number, number, number, number]> = [
  [0, 2 ** 26, 1, 1000, 4, 5000],
  [2 ** 27 + 5, 2 ** 26 + 100, 2, 100, 8, 70_000],
  [2 ** 30 - 2 ** 25, 2 ** 25, 3, 20_000, 2, 2 ** 20 + 3],
  [2 ** 29 + 31, 12_345, 4, 10, 1, 4000],
  [2 ** 25, 2 ** 26, 5, 500, 3, 2 ** 17],
  [3 * 2 ** 28 + 64, 2 ** 24 + 64, 6, 300, 0, 0],
]

describe('a 2^30-page bitmap (4 TiB of 4 KiB pages)', () => {
  it('folds memslot logs, sets and clears ranges, and reads back as the flat model', () => {
    let bm: PageBitmap = right(bitmap.empty(PAGES))
    for (const [base, pages, seed, every, runs, runLength] of SLOTS) {
      const log = dirtyLog(pages, seed, every, runs, runLength)
      bm = right(bitmap.foldLeBitmap({ words: log, base: P(base), pages })(bm))
      modelFold(log, base, pages)
    }
    const ranges: ReadonlyArray<readonly [number, number, boolean]> = [
      [2 ** 28 + 7, 2 ** 28 + 7 + 3 * 2 ** 20, true],
      [2 ** 28 + 2 ** 20, 2 ** 28 + 2 ** 20 + 4099, false],
      [2 ** 30 - 2 ** 24 - 3, 2 ** 30 - 2 ** 23, false],
      [5 * 2 ** 27 - 1, 5 * 2 ** 27 + 2, true],
    ]
    for (const [a, b, v] of ranges) {
      bm = right((v ? bitmap.setRange : bitmap.clearRange)(P(a), P(b))(bm))
      for (let p = a; p < b; p++) put(p, v)
    }
    for (const p of [0, 1, PAGES - 1, 2 ** 29 - 1]) {
      bm = right(bitmap.set(P(p))(bm))
      put(p, true)
    }

    // count, and count over ranges
    const total = modelCount(0, PAGES)
    expect(total).toBeGreaterThan(1_000_000)
    expect(bitmap.count(bm)).toBe(total)
    const rnd = xorshift(77)
    for (let k = 0; k < 12; k++) {
      const a = rnd() % PAGES
      const b = Math.min(PAGES, a + (rnd() % 2 ** 24))
      expect(bitmap.countRange(P(a), P(b))(bm)).toEqual(E.right(modelCount(a, b)))
    }

    // find-next: nextSet from random pages, and the migration walk with a finder
    for (let k = 0; k < 40; k++) {
      const from = rnd() % PAGES
      const want = modelNext(from)
      expect(bitmap.nextSet(P(from))(bm)).toEqual(want < PAGES ? O.some(want) : O.none)
    }
    const find = bitmap.setPageFinder(bm)
    let walked = 0
    let expected = modelNext(0)
    for (let p = find(P(0)); p < PAGES; p = find(P(p + 1))) {
      if (p !== expected) expect(p).toBe(expected)
      walked++
      expected = modelNext(p + 1)
    }
    expect(expected).toBe(PAGES)
    expect(walked).toBe(total)

    // slices exported as KVM-layout words, at unaligned pages
    for (const [a, n] of [
      [2 ** 27 + 3, 100_000],
      [2 ** 30 - 2 ** 25 - 77, 2 ** 16],
      [2 ** 28 + 2 ** 20 - 1, 5000],
    ] as const) {
      const words = new Uint32Array(
        right(bitmap.toLeWords(right(bitmap.slice(P(a), P(a + n))(bm)))).buffer,
      )
      let bad = 0
      for (let i = 0; i < words.length * 32; i++) {
        const got = ((words[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0
        if (got !== (i < n && has(a + i))) bad++
      }
      expect(bad).toBe(0)
    }

    // the whole bitmap as KVM's 128 MiB dirty log is the model, byte for byte
    const all = right(bitmap.toLeBytes(bm))
    expect(all.length).toBe(model.byteLength)
    expect(Buffer.compare(all, new Uint8Array(model.buffer))).toBe(0)
  })
})
