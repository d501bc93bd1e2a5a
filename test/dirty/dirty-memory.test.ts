import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { either as E } from 'fp-ts'
import * as memory from '../../src/dirty/dirty-memory.js'

const must = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message)
  return r.right
}
const PAGES = 4096

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
      const got = must(
        memory.setDirtyLebitmap(BigUint64Array.from(words), start, hostPages, {
          hostPageRatio: ratio,
          globalDirtyLog: global,
        })(must(memory.init(PAGES))),
      )
      let want = must(memory.init(PAGES))
      const mask = 0b001 | (global ? 0b100 : 0)
      for (let i = 0; i < hostPages; i++)
        if (((words[i >> 6] ?? 0n) >> BigInt(i & 63)) & 1n)
          want = must(
            memory.setDirtyRange(
              start + (BigInt(i * ratio) << 12n),
              BigInt(ratio) << 12n,
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
    const dm = must(memory.setDirtyRange(0x1fffn, 2n, 0b111)(must(memory.init(16))))
    expect(memory.dirtyPages(0)(dm)).toEqual([1, 2])
    const r = must(memory.testAndClear(0x2000n, 0x1000n, 2)(dm))
    expect(r.wasDirty).toBe(true)
    expect(memory.dirtyPages(2)(r.memory)).toEqual([1])
    expect(memory.dirtyPages(0)(r.memory)).toEqual([1, 2])
    expect(must(memory.getDirty(0x3000n, 0x1000n, 2)(r.memory))).toBe(false)
  })
  it('grows without losing bits and refuses ranges past its end', () => {
    const dm = must(memory.setDirtyRange(0xf000n, 0x1000n, 0b100)(must(memory.init(16))))
    const big = must(memory.extend(1024)(dm))
    expect(memory.dirtyPages(2)(big)).toEqual([15])
    expect(E.isLeft(memory.setDirtyRange(0x10000n, 0x1000n, 0b100)(dm))).toBe(true)
  })
})
