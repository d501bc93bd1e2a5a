import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as range from '../../src/addresses/range.js'
import * as page from '../../src/addresses/page.js'
import { TWO_64 } from '../../src/addresses/u64.js'
import type { AddrRange } from '../../src/addresses/range.js'
import type { RamAddr } from '../../src/addresses/kinds.js'

const RUNS = { numRuns: 1000 }

// Addresses biased towards the edges: 0, just below 2^64, page boundaries.
const addr = fc.oneof(
  fc.bigInt({ min: 0n, max: TWO_64 - 1n }),
  fc.bigInt({ min: TWO_64 - 0x10000n, max: TWO_64 - 1n }),
  fc.bigInt({ min: 0n, max: 0x10000n }),
  fc.constantFrom(0n, 0xfffn, 0x1000n, TWO_64 - 0x1000n, TWO_64 - 1n),
)
const bound = fc.oneof(addr, fc.constant(TWO_64))
const arbRange: fc.Arbitrary<AddrRange> = fc
  .tuple(bound, bound)
  .map(([a, b]) => (a <= b ? { start: a, end: b } : { start: b, end: a }))
  .filter((r) => r.start < TWO_64 || r.end === r.start)
  .map((r) => (r.start === TWO_64 ? { start: TWO_64 - 1n, end: TWO_64 } : r))
const arbPage = fc.integer({ min: 0, max: 63 }).map((k) => 1n << BigInt(k))

// A brute-force model over a small universe: a range as the set of its bytes.
const small = fc
  .tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 }))
  .map(([a, b]) => ({ start: BigInt(Math.min(a, b)), end: BigInt(Math.max(a, b)) }))
const bytes = (r: AddrRange): Set<number> => {
  const s = new Set<number>()
  for (let i = r.start; i < r.end; i++) s.add(Number(i))
  return s
}
const bytesOf = (rs: ReadonlyArray<AddrRange>): Set<number> =>
  new Set(rs.flatMap((r) => [...bytes(r)]))

describe('range construction', () => {
  it('accepts the whole 64-bit space and rejects anything past 2^64', () => {
    expect(range.make(0n, TWO_64)).toEqual(E.right({ start: 0n, end: TWO_64 }))
    expect(E.isLeft(range.make(1n, TWO_64))).toBe(true)
    expect(E.isLeft(range.make(TWO_64, 0n))).toBe(true)
    expect(E.isLeft(range.make(-1n, 1n))).toBe(true)
    expect(E.isLeft(range.make(0n, -1n))).toBe(true)
    expect(range.make(TWO_64 - 1n, 1n)).toEqual(E.right({ start: TWO_64 - 1n, end: TWO_64 }))
  })
  it('has a last byte only when not empty', () => {
    expect(range.last({ start: 5n, end: 5n })).toEqual(O.none)
    expect(range.last({ start: 0n, end: TWO_64 })).toEqual(O.some(TWO_64 - 1n))
  })
})

describe('range algebra (properties)', () => {
  test.prop([arbRange, arbRange], RUNS)('intersect is commutative', (a, b) => {
    expect(pipe(a, range.intersect(b))).toEqual(pipe(b, range.intersect(a)))
  })
  test.prop([arbRange, arbRange], RUNS)('an intersection lies in both ranges', (a, b) => {
    const i = pipe(a, range.intersect(b))
    if (O.isSome(i)) {
      expect(pipe(a, range.containsRange(i.value))).toBe(true)
      expect(pipe(b, range.containsRange(i.value))).toBe(true)
      expect(range.isEmpty(i.value)).toBe(false)
    }
    expect(O.isSome(i)).toBe(pipe(a, range.overlaps(b)))
  })
  test.prop([arbRange, arbRange], RUNS)('clip never grows and stays in the window', (r, w) => {
    const c = pipe(r, range.clip(w))
    expect(range.size(c) <= range.size(r)).toBe(true)
    expect(range.size(c) <= range.size(w)).toBe(true)
    expect(c.start >= w.start && c.end <= w.end && c.start <= c.end).toBe(true)
    expect(pipe(r, range.clip(w), range.clip(w))).toEqual(c)
  })
  test.prop([arbRange, arbRange], RUNS)('clip agrees with intersect on the bytes', (r, w) => {
    const c = pipe(r, range.clip(w))
    const i = pipe(r, range.intersect(w))
    if (O.isSome(i)) expect(c).toEqual(i.value)
    else expect(range.isEmpty(c)).toBe(true)
  })
  test.prop([arbRange, arbRange], RUNS)(
    'subtract leaves disjoint ordered pieces of a outside b',
    (a, b) => {
      const parts = pipe(a, range.subtract(b))
      expect(parts.length <= 2).toBe(true)
      for (const p of parts) {
        expect(range.isEmpty(p)).toBe(false)
        expect(pipe(a, range.containsRange(p))).toBe(true)
        expect(pipe(p, range.overlaps(b))).toBe(false)
      }
      if (parts.length === 2) expect((parts[0]?.end ?? 0n) <= (parts[1]?.start ?? 0n)).toBe(true)
      // sizes add up: |a| = |a - b| + |a ∩ b|
      const inter = pipe(
        a,
        range.intersect(b),
        O.map(range.size),
        O.getOrElse(() => 0n),
      )
      expect(parts.reduce((s, p) => s + range.size(p), 0n) + inter).toBe(range.size(a))
    },
  )
  test.prop([small, small], RUNS)('subtract, intersect and hull match a byte-set model', (a, b) => {
    const diff = [...bytes(a)].filter((x) => !bytes(b).has(x))
    expect([...bytesOf(pipe(a, range.subtract(b)))].sort()).toEqual(diff.sort())
    const inter = [...bytes(a)].filter((x) => bytes(b).has(x))
    expect(
      [
        ...bytesOf(
          pipe(
            a,
            range.intersect(b),
            O.match(
              () => [],
              (r) => [r],
            ),
          ),
        ),
      ].sort(),
    ).toEqual(inter.sort())
    const adjacent = pipe(a, range.isAdjacent(b))
    const touching =
      bytes(a).size > 0 &&
      bytes(b).size > 0 &&
      inter.length === 0 &&
      (bytes(a).has(Number(b.start) - 1) || bytes(b).has(Number(a.start) - 1))
    expect(adjacent).toBe(touching)
  })
  test.prop([arbRange, addr], RUNS)('contains agrees with the bounds', (r, x) => {
    expect(pipe(r, range.contains(x))).toBe(r.start <= x && x < r.end)
  })
})

describe('page rounding (properties)', () => {
  test.prop([arbRange, arbPage], RUNS)(
    'roundOut is idempotent, covers r and is aligned',
    (r, p) => {
      const ps = p as page.PageSize
      const out = pipe(r, page.roundOut(ps))
      expect(pipe(out, page.roundOut(ps))).toEqual(out)
      expect(pipe(out, range.containsRange(r))).toBe(true)
      expect(page.isAligned(ps)(out.start) && page.isAligned(ps)(out.end)).toBe(true)
      expect(out.end <= TWO_64).toBe(true)
    },
  )
  test.prop([arbRange, arbPage], RUNS)('roundIn is idempotent, inside r and is aligned', (r, p) => {
    const ps = p as page.PageSize
    const inner = pipe(r, page.roundIn(ps))
    if (O.isSome(inner)) {
      expect(pipe(inner.value, page.roundIn(ps))).toEqual(inner)
      expect(pipe(r, range.containsRange(inner.value))).toBe(true)
      expect(page.isAligned(ps)(inner.value.start) && page.isAligned(ps)(inner.value.end)).toBe(
        true,
      )
    } else {
      // no whole page fits inside r
      const firstPage = page.alignUp(ps)(r.start)
      expect(firstPage + ps > r.end).toBe(true)
    }
  })
  it('rounds the last page of the address space up to 2^64', () => {
    const top = { start: TWO_64 - 1n, end: TWO_64 }
    expect(pipe(top, page.roundOut(page.PAGE_4K))).toEqual({ start: TWO_64 - 0x1000n, end: TWO_64 })
    expect(pipe(top as AddrRange<RamAddr>, page.pagesTouched(page.PAGE_4K))).toEqual({
      start: 2 ** 52 - 1,
      end: 2 ** 52,
    })
  })
  it('accepts exactly the powers of two up to 2^63 as page sizes', () => {
    expect(E.isRight(page.pageSize(1n))).toBe(true)
    expect(E.isRight(page.pageSize(1n << 63n))).toBe(true)
    for (const bad of [0n, 3n, 0x3000n, -4096n, TWO_64])
      expect(E.isLeft(page.pageSize(bad))).toBe(true)
  })
})
