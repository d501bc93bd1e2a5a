// Issue 14: every kind refuses to stand in for another, the bitmap's pages included. The
// `@ts-expect-error` lines are checked by `npm run typecheck` (tsc over test/): each must be
// a type error, or tsc fails on the unused directive. They sit in functions that are never
// called, so vitest only runs the runtime tests below them.
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import {
  Gfn,
  Gpa,
  Hva,
  MAX_PAGE_INDEX,
  MirrorGpa,
  PageIndex,
  RamAddr,
  Size,
} from '../../src/addresses/kinds.js'
import * as page from '../../src/addresses/page.js'
import { PageIndexFromHex } from '../../src/addresses/codec.js'
import { TWO_64 } from '../../src/addresses/u64.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'
import * as kernel from '../../src/kvm/kernel-dirty.js'
import * as memory from '../../src/dirty/dirty-memory.js'
import * as tracker from '../../src/dirty/tracker.js'

const wantsGpa = (a: Gpa): Gpa => a
const wantsRamAddr = (a: RamAddr): RamAddr => a
const wantsHva = (a: Hva): Hva => a
const wantsGfn = (a: Gfn): Gfn => a
const wantsMirrorGpa = (a: MirrorGpa): MirrorGpa => a
const wantsSize = (a: Size): Size => a
const wantsPageIndex = (p: PageIndex): PageIndex => p

/** Type-level checks only: never called. */
export const kindsRefuseToMix = (): void => {
  const gpa = Gpa.unsafe(0x1000n)
  const ramAddr = RamAddr.unsafe(0x1000n)
  const hva = Hva.unsafe(0x1000n)
  const gfn = Gfn.unsafe(1n)
  const mirrorGpa = MirrorGpa.unsafe(0x1000n)
  const size = Size.unsafe(0x1000n)
  const pageIndex = PageIndex.unsafe(1)

  // each kind is accepted where it is wanted
  wantsGpa(gpa)
  wantsRamAddr(ramAddr)
  wantsHva(hva)
  wantsGfn(gfn)
  wantsMirrorGpa(mirrorGpa)
  wantsSize(size)
  wantsPageIndex(pageIndex)

  // Gpa where another kind is wanted
  // @ts-expect-error a Gpa is not a RamAddr
  wantsRamAddr(gpa)
  // @ts-expect-error a Gpa is not an Hva
  wantsHva(gpa)
  // @ts-expect-error a Gpa is not a Gfn
  wantsGfn(gpa)
  // @ts-expect-error a Gpa is not a MirrorGpa
  wantsMirrorGpa(gpa)
  // @ts-expect-error a Gpa is not a Size
  wantsSize(gpa)

  // RamAddr where another kind is wanted
  // @ts-expect-error a RamAddr is not a Gpa
  wantsGpa(ramAddr)
  // @ts-expect-error a RamAddr is not an Hva
  wantsHva(ramAddr)
  // @ts-expect-error a RamAddr is not a Gfn
  wantsGfn(ramAddr)
  // @ts-expect-error a RamAddr is not a MirrorGpa
  wantsMirrorGpa(ramAddr)
  // @ts-expect-error a RamAddr is not a Size
  wantsSize(ramAddr)

  // Hva where another kind is wanted
  // @ts-expect-error an Hva is not a Gpa
  wantsGpa(hva)
  // @ts-expect-error an Hva is not a RamAddr
  wantsRamAddr(hva)
  // @ts-expect-error an Hva is not a Gfn
  wantsGfn(hva)
  // @ts-expect-error an Hva is not a MirrorGpa
  wantsMirrorGpa(hva)
  // @ts-expect-error an Hva is not a Size
  wantsSize(hva)

  // Gfn where another kind is wanted
  // @ts-expect-error a Gfn is not a Gpa
  wantsGpa(gfn)
  // @ts-expect-error a Gfn is not a RamAddr
  wantsRamAddr(gfn)
  // @ts-expect-error a Gfn is not an Hva
  wantsHva(gfn)
  // @ts-expect-error a Gfn is not a MirrorGpa
  wantsMirrorGpa(gfn)
  // @ts-expect-error a Gfn is not a Size
  wantsSize(gfn)

  // MirrorGpa where another kind is wanted
  // @ts-expect-error a MirrorGpa is not a Gpa
  wantsGpa(mirrorGpa)
  // @ts-expect-error a MirrorGpa is not a RamAddr
  wantsRamAddr(mirrorGpa)
  // @ts-expect-error a MirrorGpa is not an Hva
  wantsHva(mirrorGpa)
  // @ts-expect-error a MirrorGpa is not a Gfn
  wantsGfn(mirrorGpa)
  // @ts-expect-error a MirrorGpa is not a Size
  wantsSize(mirrorGpa)

  // Size where another kind is wanted
  // @ts-expect-error a Size is not a Gpa
  wantsGpa(size)
  // @ts-expect-error a Size is not a RamAddr
  wantsRamAddr(size)
  // @ts-expect-error a Size is not an Hva
  wantsHva(size)
  // @ts-expect-error a Size is not a Gfn
  wantsGfn(size)
  // @ts-expect-error a Size is not a MirrorGpa
  wantsMirrorGpa(size)

  // plain values are no kind at all
  // @ts-expect-error a plain bigint is not a Gpa
  wantsGpa(0x1000n)
  // @ts-expect-error a plain bigint is not a RamAddr
  wantsRamAddr(0x1000n)

  // PageIndex against plain numbers and the bigint kinds
  // @ts-expect-error a plain number is not a PageIndex
  wantsPageIndex(1)
  // @ts-expect-error arithmetic on a PageIndex gives a plain number
  wantsPageIndex(pageIndex + 1)
  // @ts-expect-error a RamAddr is not a PageIndex
  wantsPageIndex(ramAddr)
  // @ts-expect-error a Gfn is not a PageIndex
  wantsPageIndex(gfn)
  // @ts-expect-error a Gpa is not a PageIndex
  wantsPageIndex(gpa)
  // @ts-expect-error a PageIndex is not a RamAddr
  wantsRamAddr(pageIndex)
  // @ts-expect-error a PageIndex is not a Gfn
  wantsGfn(pageIndex)
  // @ts-expect-error a PageIndex is not a Size
  wantsSize(pageIndex)

  // the page conversions take and give their kinds
  // @ts-expect-error page.indexOf takes a RamAddr, not a Gpa
  page.indexOf(page.PAGE_4K)(gpa)
  // @ts-expect-error page.indexOf takes a RamAddr, not a plain bigint
  page.indexOf(page.PAGE_4K)(0x1000n)
  // @ts-expect-error page.addressOf takes a PageIndex, not a plain number
  page.addressOf(page.PAGE_4K)(1)
  // @ts-expect-error page.addressOf takes a PageIndex, not a RamAddr
  page.addressOf(page.PAGE_4K)(ramAddr)
  // @ts-expect-error page.indexOf gives a PageIndex, not a RamAddr
  wantsRamAddr(page.indexOf(page.PAGE_4K)(ramAddr))
  // a PageIndex is still a number to read
  const n: number = pageIndex
  void n
}

/** Type-level checks only: the bitmap's pages are `PageIndex`, in and out. Never called. */
export const bitmapPagesRefuseToMix = (bm: PageBitmap): void => {
  const p = PageIndex.unsafe(1)
  const q = PageIndex.unsafe(9)
  const ramAddr = RamAddr.unsafe(0x1000n)
  const gfn = Gfn.unsafe(1n)

  // pages are accepted as pages
  bitmap.test(p)(bm)
  bitmap.set(p)(bm)
  bitmap.clear(p)(bm)
  bitmap.setRange(p, q)(bm)
  bitmap.nextSet(p)(bm)
  bitmap.slice(p, q)(bm)
  bitmap.foldLeBitmap({ words: new BigUint64Array(1), base: p })(bm)
  bitmap.fromPages(16)([p, q])

  // @ts-expect-error bitmap.set takes a PageIndex, not a plain number
  bitmap.set(1)
  // @ts-expect-error bitmap.set takes a PageIndex, not a RamAddr
  bitmap.set(ramAddr)
  // @ts-expect-error bitmap.set takes a PageIndex, not a Gfn
  bitmap.set(gfn)
  // @ts-expect-error bitmap.test takes a PageIndex, not a plain number
  bitmap.test(1)
  // @ts-expect-error bitmap.test takes a PageIndex, not a RamAddr
  bitmap.test(ramAddr)
  // @ts-expect-error bitmap.clear takes a PageIndex, not a plain number
  bitmap.clear(1)
  // @ts-expect-error bitmap.nextSet starts from a PageIndex, not a plain number
  bitmap.nextSet(0)
  // @ts-expect-error bitmap.nextSet starts from a PageIndex, not a RamAddr
  bitmap.nextSet(ramAddr)
  // @ts-expect-error bitmap.setRange takes PageIndex bounds, not plain numbers
  bitmap.setRange(0, 10)
  // @ts-expect-error bitmap.slice takes PageIndex bounds, not plain numbers
  bitmap.slice(p, 10)
  // @ts-expect-error bitmap.setSlice takes a PageIndex offset, not a plain number
  bitmap.setSlice(0, bm)
  // @ts-expect-error bitmap.fromPages takes PageIndex pages, not plain numbers
  bitmap.fromPages(16)([1, 2])
  // @ts-expect-error a fold's base is a PageIndex, not a plain number
  bitmap.foldLeBitmap({ words: new BigUint64Array(1), base: 0 })
  // @ts-expect-error a fold's base is a PageIndex, not a RamAddr
  bitmap.foldLeBitmap({ words: new BigUint64Array(1), base: ramAddr })
  // @ts-expect-error a finder searches from a PageIndex, not a plain number
  bitmap.setPageFinder(bm)(0)
  bitmap.withMutations((t) => {
    t.set(p)
    // @ts-expect-error a batch sets a PageIndex, not a plain number
    t.set(1)
  })

  // what the bitmap hands back is a PageIndex: a page, not an address
  pipe(
    bm,
    bitmap.nextSet(p),
    O.map((found) => {
      wantsPageIndex(found)
      // @ts-expect-error nextSet's result is a PageIndex, not a RamAddr
      wantsRamAddr(found)
    }),
  )
  const first = bitmap.toPages(bm)[0] ?? p
  wantsPageIndex(first)
  // @ts-expect-error toPages gives PageIndex values, not Gfns
  wantsGfn(first)
  const run = bitmap.runs(bm)[0]
  if (run !== undefined) wantsPageIndex(run.start)
  // a page is still a number to count with
  const n: number = bitmap.setPageFinder(bm)(p) - p
  void n

  // the KVM kernel's pages within a slot are pages too
  kernel.guestWrite(0, 0, p)
  // @ts-expect-error kernel.guestWrite takes a PageIndex, not a plain number
  kernel.guestWrite(0, 0, 5)

  // the dirty log folds of dirty memory take the bitmap's convention, and addresses by kind
  const words = new BigUint64Array(1)
  memory.setDirtyLebitmap({ words, base: p })
  // @ts-expect-error setDirtyLebitmap's base is a PageIndex, not a RamAddr
  memory.setDirtyLebitmap({ words, base: ramAddr })
  memory.setDirtyRange(ramAddr, Size.unsafe(1n), 1)
  // @ts-expect-error setDirtyRange starts at a RamAddr, not a Gpa
  memory.setDirtyRange(Gpa.unsafe(0n), Size.unsafe(1n), 1)
  // @ts-expect-error setDirtyRange's length is a Size, not a RamAddr
  memory.setDirtyRange(ramAddr, ramAddr, 1)
  tracker.guestWrite(0, Gpa.unsafe(0x1000n))
  // @ts-expect-error a guest writes a Gpa, not a RamAddr
  tracker.guestWrite(0, ramAddr)
}

const RUNS = { numRuns: 1000 }

describe('PageIndex', () => {
  it('accepts exactly the safe non-negative integers', () => {
    expect(PageIndex.make(0)).toEqual(E.right(0))
    expect(PageIndex.make(2 ** 53 - 1)).toEqual(E.right(2 ** 53 - 1))
    expect(MAX_PAGE_INDEX).toBe(2 ** 53 - 1)
    for (const bad of [2 ** 53, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 64]) {
      const r = PageIndex.make(bad)
      expect(E.isLeft(r)).toBe(true)
      if (E.isLeft(r)) {
        expect(r.left).toMatchObject({ _tag: 'OutOfRange', kind: 'PageIndex' })
        expect(Object.is(r.left.value, bad)).toBe(true)
        expect(r.left.message).toContain('PageIndex')
      }
      expect(PageIndex.is(bad)).toBe(false)
    }
    expect(PageIndex.is(0)).toBe(true)
    expect(PageIndex.unsafe(7)).toBe(7)
  })
  it('decodes from hex up to 2^53 - 1', () => {
    expect(PageIndexFromHex.decode('0x1fffffffffffff')).toEqual(E.right(2 ** 53 - 1))
    expect(E.isLeft(PageIndexFromHex.decode('0x20000000000000'))).toBe(true)
    expect(E.isLeft(PageIndexFromHex.decode(12))).toBe(true)
    expect(PageIndexFromHex.encode(PageIndex.unsafe(0x8001))).toBe('0x8001')
    expect(PageIndexFromHex.is(3)).toBe(true)
    expect(PageIndexFromHex.is(3n)).toBe(false)
  })
})

// Addresses biased towards the edges: 0, just below 2^64, page boundaries.
const arbAddr = fc
  .oneof(
    fc.bigInt({ min: 0n, max: TWO_64 - 1n }),
    fc.bigInt({ min: TWO_64 - 0x100000n, max: TWO_64 - 1n }),
    fc.bigInt({ min: 0n, max: 0x100000n }),
    fc.constantFrom(0n, 0xfffn, 0x1000n, TWO_64 - 0x1000n, TWO_64 - 1n),
  )
  .map(RamAddr.unsafe)
/** Page sizes for which every index fits: 2 KiB to 2^63. */
const arbWidePage = fc.integer({ min: 11, max: 63 }).map((s) => (1n << BigInt(s)) as page.PageSize)
const arbAnyPage = fc.integer({ min: 0, max: 63 }).map((s) => (1n << BigInt(s)) as page.PageSize)

describe('page.indexOf and page.addressOf', () => {
  test.prop([arbAddr, arbWidePage], RUNS)(
    'addressOf(indexOf(a)) is alignDown(a), for page sizes of 2 KiB and up',
    (a, ps) => {
      expect(pipe(a, page.indexOf(ps), page.addressOf(ps))).toEqual(E.right(page.alignDown(ps)(a)))
    },
  )
  test.prop([arbAddr, arbWidePage], RUNS)('indexOf is exact: a >> shift', (a, ps) => {
    const p = page.indexOf(ps)(a)
    expect(PageIndex.is(p)).toBe(true)
    expect(BigInt(p)).toBe(a >> page.pageShift(ps))
  })
  test.prop([arbAddr, arbAddr, arbAnyPage], RUNS)('indexOf is monotonic', (a, b, ps) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a]
    expect(page.indexOf(ps)(lo) <= page.indexOf(ps)(hi)).toBe(true)
  })
  test.prop([arbAddr, arbAnyPage], RUNS)(
    'below 2 KiB pages, indexOf is exact or saturates at 2^53 - 1',
    (a, ps) => {
      const p = page.indexOf(ps)(a)
      const exact = a >> page.pageShift(ps)
      expect(p).toBe(exact > BigInt(MAX_PAGE_INDEX) ? MAX_PAGE_INDEX : Number(exact))
    },
  )
  it('addressOf refuses pages that start at or past 2^64', () => {
    expect(page.addressOf(page.PAGE_4K)(PageIndex.unsafe(2 ** 52 - 1))).toEqual(
      E.right(TWO_64 - 0x1000n),
    )
    expect(E.isLeft(page.addressOf(page.PAGE_4K)(PageIndex.unsafe(2 ** 52)))).toBe(true)
    expect(E.isLeft(page.addressOf(page.PAGE_2M)(PageIndex.unsafe(MAX_PAGE_INDEX)))).toBe(true)
    expect(page.addressOf(1n as page.PageSize)(PageIndex.unsafe(MAX_PAGE_INDEX))).toEqual(
      E.right(BigInt(MAX_PAGE_INDEX)),
    )
  })
  it('indexOf at the top of the space', () => {
    expect(page.indexOf(page.PAGE_4K)(RamAddr.unsafe(TWO_64 - 1n))).toBe(2 ** 52 - 1)
    expect(page.indexOf(0x800n as page.PageSize)(RamAddr.unsafe(TWO_64 - 1n))).toBe(MAX_PAGE_INDEX)
    expect(page.indexOf(0x400n as page.PageSize)(RamAddr.unsafe(TWO_64 - 1n))).toBe(MAX_PAGE_INDEX)
    expect(page.indexOf(page.PAGE_4K)(RamAddr.unsafe(0x1fffn))).toBe(1)
  })
})
