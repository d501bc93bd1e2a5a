import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import { PageIndex, RamAddr, Size } from '../../src/addresses/kinds.js'
import * as memory from '../../src/dirty/dirty-memory.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}
const PAGES = 4096
const R = RamAddr.unsafe
const S = Size.unsafe

describe('set_dirty_lebitmap (properties)', () => {
  test.prop(
    [
      fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: 1, maxLength: 3 }),
      fc.nat(1000),
      fc.constantFrom(1, 4, 16),
      fc.boolean(),
    ],
    { numRuns: 1000 },
  )(
    'equals marking each set host page bit by bit, for the right clients',
    (words, startPage, ratio, global) => {
      const hostPages = words.length * 64 - (startPage % 7)
      const start = BigInt(startPage) << 12n
      fc.pre(startPage + hostPages * ratio <= PAGES)
      const dm = must(memory.init(PAGES))
      const got = must(
        memory.setDirtyLebitmap({
          words: BigUint64Array.from(words),
          base: memory.pageOf(RamAddr.unsafe(start))(dm),
          pages: hostPages,
          hostPageRatio: ratio,
          globalDirtyLog: global,
        })(dm),
      )
      let want = must(memory.init(PAGES))
      const mask = 0b001 | (global ? 0b100 : 0)
      for (let i = 0; i < hostPages; i++)
        if (((words[i >> 6] ?? 0n) >> BigInt(i & 63)) & 1n)
          want = must(
            memory.setDirtyRange(
              RamAddr.unsafe(start + (BigInt(i * ratio) << 12n)),
              Size.unsafe(BigInt(ratio) << 12n),
              mask,
            )(want),
          )
      for (const c of [0, 1, 2] as const)
        expect(memory.dirtyPages(c)(got)).toEqual(memory.dirtyPages(c)(want))
      expect(memory.dirtyPages(1)(got)).toEqual([]) // no CODE client under KVM
    },
  )
})

describe('dirty memory', () => {
  it('widens byte ranges to whole target pages and test-and-clears one client', () => {
    const dm = must(memory.setDirtyRange(R(0x1fffn), S(2n), 0b111)(must(memory.init(16))))
    expect(memory.dirtyPages(0)(dm)).toEqual([1, 2])
    const r = must(memory.testAndClear(R(0x2000n), S(0x1000n), 2)(dm))
    expect(r.wasDirty).toBe(true)
    expect(memory.dirtyPages(2)(r.memory)).toEqual([1])
    expect(memory.dirtyPages(0)(r.memory)).toEqual([1, 2])
    expect(must(memory.getDirty(R(0x3000n), S(0x1000n), 2)(r.memory))).toBe(false)
  })
  it('grows without losing bits and refuses ranges past its end', () => {
    const dm = must(memory.setDirtyRange(R(0xf000n), S(0x1000n), 0b100)(must(memory.init(16))))
    const big = must(memory.extend(1024)(dm))
    expect(memory.dirtyPages(2)(big)).toEqual([15])
    expect(E.isLeft(memory.setDirtyRange(R(0x10000n), S(0x1000n), 0b100)(dm))).toBe(true)
  })
  it('takes pages as QEMU does: the page of start to the page-aligned end', () => {
    const dm = must(memory.init(16))
    const pagesOf = (start: bigint, length: bigint) => memory.pagesOf(R(start), S(length))(dm)
    expect(pagesOf(0x1fffn, 2n)).toEqual({ start: 1, end: 3 })
    expect(pagesOf(0x1000n, 0x1000n)).toEqual({ start: 1, end: 2 })
    // a length of 0: no page from an aligned start, the page of an unaligned one
    expect(pagesOf(0x1000n, 0n)).toEqual({ start: 1, end: 1 })
    expect(pagesOf(0x1001n, 0n)).toEqual({ start: 1, end: 2 })
    expect(memory.pageOf(R(0x1fffn))(dm)).toBe(1)
    const big = must(memory.init(16, 21)) // 2 MiB target pages
    expect(memory.pagesOf(R(0x1fffffn), S(2n))(big)).toEqual({ start: 0, end: 2 })
  })
  it("folds a log in bitmap.foldLeBitmap's convention, its length by default all its bits", () => {
    const dm = must(memory.init(256))
    const words = BigUint64Array.of(1n, 1n << 63n)
    const all = must(memory.setDirtyLebitmap({ words, base: PageIndex.unsafe(64) })(dm))
    expect(memory.dirtyPages(0)(all)).toEqual([64, 191])
    expect(memory.dirtyPages(2)(all)).toEqual([]) // MIGRATION only with global logging
    const some = must(memory.setDirtyLebitmap({ words, base: PageIndex.unsafe(64), pages: 64 })(dm))
    expect(memory.dirtyPages(0)(some)).toEqual([64])
    const huge = memory.setDirtyLebitmap({ words, base: PageIndex.unsafe(64), hostPageRatio: 2 })(
      dm,
    )
    expect(E.isLeft(huge)).toBe(true) // 128 host pages of 2 target pages from 64: past 256
  })
})
