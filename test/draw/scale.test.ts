// The piecewise scale: contiguous pieces, fixed-height gaps, height growing with the
// logarithm of a piece's size, and an address-to-y map that keeps order.
import { describe, expect } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import { GAP_HEIGHT, bottomOf, pieceHeight, scaleOf, yOf } from '../../src/draw/scale.js'

const addr = fc.bigInt({ min: 0n, max: 1n << 64n })
const points = fc.uniqueArray(addr, { minLength: 2, maxLength: 40 })
const cmp = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

describe('scale', () => {
  test.prop([points, fc.func(fc.boolean())], { numRuns: 300 })(
    'pieces are the sorted cut points, stacked without holes from the top',
    (ps, occ) => {
      const s = scaleOf(ps, (a, b) => occ(a.toString(), b.toString()), 50)
      const cuts = [...ps].sort(cmp)
      expect(s.segments.map((g) => [g.start, g.end])).toEqual(
        cuts.slice(1).map((c, i) => [cuts[i], c]),
      )
      let y = 50
      for (const g of s.segments) {
        expect(g.y).toBe(y)
        expect(g.height).toBe(g.gap ? GAP_HEIGHT : pieceHeight(g.end - g.start))
        y += g.height
      }
      expect(bottomOf(s)).toBe(y)
    },
  )

  test.prop([points, fc.array(addr, { minLength: 2, maxLength: 30 })], { numRuns: 300 })(
    'a higher address is never drawn above a lower one; cut points land on piece tops',
    (ps, qs) => {
      const s = scaleOf(ps, () => true, 0)
      const sorted = [...qs].sort(cmp)
      const ys = sorted.map((q) => yOf(q)(s))
      for (let i = 1; i < ys.length; i++)
        expect(ys[i] as number).toBeGreaterThanOrEqual(ys[i - 1] as number)
      for (const g of s.segments) expect(yOf(g.start)(s)).toBe(g.y)
      const last = s.segments[s.segments.length - 1]
      if (last !== undefined) expect(yOf(last.end)(s)).toBe(bottomOf(s))
    },
  )

  test.prop([fc.bigInt({ min: 1n, max: 1n << 64n }), fc.bigInt({ min: 1n, max: 1n << 64n })])(
    'a bigger piece is never shorter; 4 KiB and below get 8 px, at most 140',
    (a, b) => {
      const [lo, hi] = a < b ? [a, b] : [b, a]
      expect(pieceHeight(hi)).toBeGreaterThanOrEqual(pieceHeight(lo))
      expect(pieceHeight(hi)).toBeLessThanOrEqual(140)
    },
  )

  test('worked values: log2 steps of 5 px above 4 KiB', () => {
    expect(pieceHeight(0x1000n)).toBe(8)
    expect(pieceHeight(0x2000n)).toBe(13)
    expect(pieceHeight(0x100000n)).toBe(8 + 5 * 8) // 1 MiB = 2^20
    expect(pieceHeight(1n << 64n)).toBe(140)
  })
})
