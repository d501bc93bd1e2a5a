// Little-endian word bitmaps (KVM_GET_DIRTY_LOG's layout) in and out of page bitmaps, and
// foldLeBitmap (QEMU's cpu_physical_memory_set_dirty_lebitmap) against setting each page of
// the log one by one.
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'
import {
  FANOUT,
  RUN_HEIGHT,
  WORDS,
  heightFor,
  kidsOf,
  span,
  type Node,
} from '../../src/bitmap/layout.js'
import { rootOf } from '../../src/bitmap/tree.js'

const RUNS = { numRuns: 1000 }
/** A number as a page, unchecked: the bitmap functions check it against the bitmap. */
const P = PageIndex.unsafe
/** Pages of a run: 131072. */
const RUN_PAGES = span(RUN_HEIGHT)

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** The pages a little-endian word bitmap sets, read bit by bit from its values. */
const pagesOfWords = (words: BigUint64Array, limit = Infinity): number[] => {
  const out: number[] = []
  words.forEach((w, i) => {
    for (let b = 0; b < 64; b++)
      if ((w >> BigInt(b)) & 1n && i * 64 + b < limit) out.push(i * 64 + b)
  })
  return out
}
/** The pages little-endian bytes set: bit i % 8 of byte i / 8. */
const pagesOfBytes = (bytes: Uint8Array, limit = Infinity): number[] => {
  const out: number[] = []
  bytes.forEach((x, i) => {
    for (let b = 0; b < 8; b++) if ((x >> b) & 1 && i * 8 + b < limit) out.push(i * 8 + b)
  })
  return out
}

const EDGE_SIZES = [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 2047, 2048, 2049, 16384, 16449]
const arbPages = fc.oneof(fc.constantFrom(...EDGE_SIZES), fc.integer({ min: 0, max: 20000 }))

/** Words with random bits, some all-set words and some all-clear stretches. */
const arbWords = (n: number): fc.Arbitrary<BigUint64Array> =>
  fc
    .array(
      fc.oneof(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(0n, (1n << 64n) - 1n, 1n, 1n << 63n),
      ),
      { minLength: n, maxLength: n },
    )
    .map((ws) => BigUint64Array.from(ws))

const arbBitmap = (pages: number): fc.Arbitrary<PageBitmap> =>
  fc
    .tuple(
      fc.array(fc.nat(Math.max(0, pages - 1)), { maxLength: 40 }),
      fc.array(fc.tuple(fc.nat(pages), fc.nat(pages)), { maxLength: 3 }),
    )
    .map(([ps, rs]) =>
      rs.reduce(
        (bm, [a, b]) => right(bitmap.setRange(P(Math.min(a, b)), P(Math.max(a, b)))(bm)),
        right(bitmap.fromPages(pages)(pages === 0 ? [] : ps.map(P))),
      ),
    )

describe('little-endian words (properties)', () => {
  test.prop([arbPages.chain((p) => arbBitmap(p))], RUNS)(
    'toLeWords and toLeBytes lay out page i at bit i % 64 of word i / 64, and read back',
    (bm) => {
      const words = right(bitmap.toLeWords(bm))
      const bytes = right(bitmap.toLeBytes(bm))
      expect(words.length).toBe(Math.ceil(bm.pages / 64))
      expect(bytes.length).toBe(8 * Math.ceil(bm.pages / 64))
      expect(pagesOfWords(words)).toEqual(bitmap.toPages(bm))
      expect(pagesOfBytes(bytes)).toEqual(bitmap.toPages(bm))
      expect(bitmap.Eq.equals(right(bitmap.fromLeWords(bm.pages)(words)), bm)).toBe(true)
      expect(bitmap.Eq.equals(right(bitmap.fromLeBytes(bm.pages)(bytes)), bm)).toBe(true)
    },
  )
  test.prop(
    [arbPages.chain((p) => fc.tuple(fc.constant(p), arbWords(Math.ceil(p / 64) + 1)))],
    RUNS,
  )(
    'fromLeWords and fromLeBytes read the first `pages` bits and ignore the rest',
    ([pages, words]) => {
      const want = pagesOfWords(words, pages)
      expect(bitmap.toPages(right(bitmap.fromLeWords(pages)(words)))).toEqual(want)
      // bytes at every alignment, in a buffer they do not start
      for (const shift of [0, 1, 2, 3, 5]) {
        const buf = new Uint8Array(words.byteLength + shift)
        buf.set(new Uint8Array(words.buffer), shift)
        const bytes = buf.subarray(shift)
        expect(bitmap.toPages(right(bitmap.fromLeBytes(pages)(bytes)))).toEqual(want)
        // and cut short to just the bytes that hold the pages
        const short = bytes.subarray(0, Math.ceil(pages / 8))
        expect(bitmap.toPages(right(bitmap.fromLeBytes(pages)(short)))).toEqual(want)
      }
    },
  )
  test.prop([arbPages, fc.integer({ min: 1, max: 200 })], RUNS)(
    'too few bits is BitmapTooShort',
    (pages, extra) => {
      const words = new BigUint64Array(Math.floor(pages / 64))
      const need = words.length * 64 + extra
      const r = bitmap.fromLeWords(need)(words)
      expect(E.isLeft(r) && r.left).toMatchObject({ _tag: 'BitmapTooShort', pages: need })
      const b = bitmap.fromLeBytes(pages + 1)(new Uint8Array(Math.floor(pages / 8)))
      expect(E.isLeft(b) && b.left._tag).toBe('BitmapTooShort')
    },
  )
})

/** The model: `bm`'s pages plus each set page of the log, one at a time, as a Set. */
const bitByBit = (bm: PageBitmap, logPages: number[], basePage: number): number[] => {
  const model = new Set<number>(bitmap.toPages(bm))
  for (const p of logPages) model.add(basePage + p)
  return [...model].sort((a, b) => a - b)
}

const arbFold = fc.tuple(arbPages, fc.integer({ min: 0, max: 400 })).chain(([pages, logPages]) =>
  fc.tuple(
    arbBitmap(pages),
    arbWords(Math.ceil(logPages / 64)),
    fc.constant(logPages),
    fc.oneof(
      fc.nat(Math.max(0, pages - logPages)),
      fc.nat(Math.max(0, Math.floor((pages - logPages) / 64))).map((k) => k * 64),
      fc.constant(Math.max(0, pages - logPages)),
    ),
    fc.boolean(),
  ),
)

describe('foldLeBitmap (properties)', () => {
  test.prop([arbFold], RUNS)(
    'equals setting each page of the log bit by bit, at aligned and unaligned pages',
    ([bm, words, logPages, basePage, asBytes]) => {
      const before = bitmap.toPages(bm)
      const log = asBytes ? new Uint8Array(words.buffer) : words
      const copy = words.slice()
      const r = bitmap.foldLeBitmap({ words: log, base: P(basePage), pages: logPages })(bm)
      if (basePage + logPages > bm.pages) {
        expect(E.isLeft(r) && r.left._tag).toBe('PageRangeOutOfBounds')
        return
      }
      const folded = right(r)
      const want = bitByBit(bm, pagesOfWords(words, logPages), basePage)
      expect(bitmap.toPages(folded)).toEqual(want)
      if (logPages <= 400) {
        // literally: one bitmap.set per set page of the log
        const oneByOne = pagesOfWords(words, logPages).reduce(
          (acc, p) => right(bitmap.set(P(basePage + p))(acc)),
          bm,
        )
        expect(bitmap.Eq.equals(folded, oneByOne)).toBe(true)
      }
      expect(bitmap.toPages(bm)).toEqual(before)
      expect(words).toEqual(copy)
      // folding the same log again changes nothing, and says so by returning the same value
      expect(
        right(bitmap.foldLeBitmap({ words: log, base: P(basePage), pages: logPages })(folded)),
      ).toBe(folded)
    },
  )
  test.prop([arbFold], RUNS)(
    'without a page count, the whole log folds',
    ([bm, words, , basePage]) => {
      const all = words.length * 64
      const r = bitmap.foldLeBitmap({ words, base: P(basePage) })(bm)
      if (basePage + all > bm.pages) {
        expect(E.isLeft(r)).toBe(true)
        return
      }
      expect(bitmap.toPages(right(r))).toEqual(bitByBit(bm, pagesOfWords(words), basePage))
    },
  )
  test.prop(
    [
      fc.oneof(fc.double(), fc.constantFrom(NaN, -1, 0.5, 1e20, Infinity)),
      fc.oneof(fc.double(), fc.constantFrom(NaN, -64, 63.5, 1e20, 200, 129)),
    ],
    RUNS,
  )('bad page counts and pages are errors, not exceptions', (pages, basePage) => {
    const bm = right(bitmap.empty(4096))
    const words = BigUint64Array.of(1n, 2n)
    const r = bitmap.foldLeBitmap({ words, base: P(basePage), pages })(bm)
    const ok =
      Number.isInteger(pages) &&
      pages >= 0 &&
      pages <= 128 &&
      Number.isInteger(basePage) &&
      basePage >= 0 &&
      basePage + pages <= 4096
    expect(E.isRight(r)).toBe(ok)
  })
})

describe('foldLeBitmap on a large log', () => {
  it('folds a 2^20-page log at word-aligned and unaligned pages as bit by bit', () => {
    const pages = 2 ** 20
    const words = new BigUint64Array(pages / 64)
    const u32 = new Uint32Array(words.buffer)
    let seed = 12345
    const next = (): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return seed >>> 0
    }
    for (let i = 0; i < pages / 50; i++) {
      const p = next() % pages
      u32[p >>> 5] = (u32[p >>> 5] ?? 0) | (1 << (p & 31))
    }
    u32.fill(0xffffffff, 4096, 4096 + 2048) // a dense run of 65536 pages
    const logPages = pagesOfWords(words)
    for (const base of [0, 64, 2048, 1, 33, 12345]) {
      const bm = right(bitmap.empty(pages + 20000))
      const folded = right(bitmap.foldLeBitmap({ words, base: P(base) })(bm))
      const got = bitmap.toPages(folded)
      expect(got.length).toBe(logPages.length)
      expect(got.every((p, i) => p === (logPages[i] ?? -1) + base)).toBe(true)
      expect(bitmap.count(folded)).toBe(logPages.length)
    }
    // into a bitmap that already has pages: the union
    const other = right(pipe(bitmap.empty(pages), E.chainW(bitmap.setRange(P(1000), P(300000)))))
    const both = right(bitmap.foldLeBitmap({ words, base: P(0) })(other))
    const want = right(pipe(other, bitmap.union(right(bitmap.fromLeWords(pages)(words)))))
    expect(bitmap.Eq.equals(both, want)).toBe(true)
  })
})

describe('foldLeBitmap and slab memory', () => {
  it('leaves no memory the process used before in the slab it was filling', () => {
    // dirty the allocator: free many 64 KiB blocks full of 0xab for new slabs to reuse
    v8.setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const junk: Buffer[] = []
    for (let i = 0; i < 256; i++) junk.push(Buffer.alloc(64 * 1024, 0xab))
    junk.length = 0
    gc()
    // 300 leaves with a page each: the fold writes four runs of 64 leaves and 44 leaves,
    // starting at least one new slab of each kind and ending in it
    const pages = 300 * 2048
    const words = new BigUint64Array(pages / 64)
    for (let leaf = 0; leaf < 300; leaf++) words[leaf * 32 + (leaf % 32)] = 1n << BigInt(leaf % 64)
    const bm = right(bitmap.fromLeWords(pages)(words))
    expect(bitmap.count(bm)).toBe(300)
    // every stretch of slab words the bitmap uses: leaves, runs, and runs stored as offsets
    const used: Array<{ w: Uint32Array; end: number; h: number }> = []
    const visit = (node: Node, h: number): void => {
      if (node.tag === 'leaf' || node.tag === 'run') {
        used.push({ w: node.w, end: node.o + WORDS[h]!, h })
        return
      }
      if (node.tag !== 'inner') return
      const { bg } = node
      const slots = kidsOf(node, h)
      for (let c = 0; c < FANOUT; c++) {
        const x = slots[c]
        if (x === undefined) {
          if (bg.tag === 'run')
            used.push({ w: bg.w, end: bg.o + (c + 1) * WORDS[h - 1]!, h: h - 1 })
        } else visit(x, h - 1)
      }
    }
    visit(rootOf(bm), heightFor(pages))
    expect(used.filter((u) => u.h === 0)).toHaveLength(300 - 256)
    expect(used.filter((u) => u.h === RUN_HEIGHT)).toHaveLength(4)
    // in every slab, every word past the stretches it holds is clear
    const tail = [...new Set(used.map((u) => u.w))].flatMap((w) => {
      const end = Math.max(...used.filter((u) => u.w === w).map((u) => u.end))
      return Array.from(w.subarray(end)).filter((x) => x !== 0)
    })
    expect(tail).toEqual([])
    // a run written and given back (all set, so the shared node is kept instead) leaves
    // its words in the slab being filled: the fold must clear them before it returns
    const runSlab = used.find((u) => u.h === RUN_HEIGHT)!
    const runEnd = Math.max(...used.filter((u) => u.w === runSlab.w).map((u) => u.end))
    const ones = new BigUint64Array((RUN_PAGES + 128) / 64)
    ones.fill(0xffffffffffffffffn, 0, RUN_PAGES / 64)
    const allSet = right(bitmap.fromLeWords(RUN_PAGES + 100)(ones))
    expect(bitmap.count(allSet)).toBe(RUN_PAGES)
    expect(Array.from(runSlab.w.subarray(runEnd)).filter((x) => x !== 0)).toEqual([])
  })
})
