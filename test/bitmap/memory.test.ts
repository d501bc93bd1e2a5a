// Persistence at scale: updates share storage with the bitmap they start from. Memory is
// measured structurally with retainedBytes (distinct nodes, leaf handles and slabs), never
// from the process heap, and nothing here asserts on time.
import { describe, expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'

const P = PageIndex.unsafe

const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}
const MiB = 2 ** 20

/** A fixed pseudo-random sequence (xorshift32). */
const xorshift = (seed: number) => (): number => {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}

/** A 2^28-page bitmap with pages set all over it: every leaf is a real, unshared leaf. */
const populated = (): PageBitmap => {
  const pages = 2 ** 28
  const words = new BigUint64Array(pages / 64)
  const u32 = new Uint32Array(words.buffer)
  const rnd = xorshift(7)
  // one page in each 2048-page leaf, plus a dense stretch
  for (let leaf = 0; leaf < pages / 2048; leaf++) {
    const p = leaf * 2048 + (rnd() % 2048)
    u32[p >>> 5] = (u32[p >>> 5] ?? 0) | (1 << (p & 31))
  }
  u32.fill(0xffffffff, 1 << 20, (1 << 20) + 4096)
  return right(bitmap.fromLeWords(pages)(words))
}

describe('persistent updates at scale', () => {
  it('keeps 10,000 one-page updates of a 2^28-page bitmap in <= 10 MiB beyond the original', () => {
    const original = populated()
    const originalPages = bitmap.count(original)
    const rnd = xorshift(99)
    const versions: PageBitmap[] = []
    const pages: PageIndex[] = []
    let bm = original
    for (let i = 0; i < 10_000; i++) {
      const page = P(rnd() >>> 4)
      pages.push(page)
      bm = right(bitmap.set(page)(bm))
      versions.push(bm)
    }
    const base = bitmap.retainedBytes([original])
    const extra = bitmap.retainedBytes([original, ...versions]) - base
    expect(extra).toBeLessThanOrEqual(10 * MiB)
    expect(extra).toBeGreaterThan(0)
    // every version holds its own pages: the original none of the new ones, the last all
    expect(bitmap.count(original)).toBe(originalPages)
    const added = new Set(pages.filter((p) => !right(bitmap.test(p)(original))))
    expect(bitmap.count(bm)).toBe(originalPages + added.size)
    for (const [i, v] of versions.entries()) {
      if (i % 997 !== 0) continue
      expect(bitmap.test(pages[i] ?? P(0))(v)).toEqual(E.right(true))
      const later = pages
        .slice(i + 1)
        .find((p) => !pages.slice(0, i + 1).includes(p) && !right(bitmap.test(p)(original)))
      if (later !== undefined) expect(bitmap.test(later)(v)).toEqual(E.right(false))
    }
  })

  it('copies one leaf and one path per one-page update', () => {
    const original = populated()
    const rnd = xorshift(5)
    let bm = original
    const versions: PageBitmap[] = []
    for (let i = 0; i < 100; i++) {
      bm = right(bitmap.set(P(rnd() >>> 4))(bm))
      versions.push(bm)
    }
    const extra = bitmap.retainedBytes([original, ...versions]) - bitmap.retainedBytes([original])
    // per update: the 256-byte leaf, its handle, at most 6 inner nodes of 8 and the bitmap
    // value; plus the new 64 KiB slabs the leaves were carved from
    const slab = 64 * 1024 + 256
    expect(extra).toBeLessThanOrEqual(100 * (256 + 40 + 6 * 112 + 48) + 2 * slab)
    // setting a page already set changes nothing
    const page = bitmap.toPages(original)[0] ?? P(0)
    expect(right(bitmap.set(page)(original))).toBe(original)
  })

  it('a batch shares like single updates and copies each leaf at most once', () => {
    const original = populated()
    const [from, to] = [P(5_000_000), P(5_000_000 + 2048 * 10)]
    const batch = right(
      bitmap.withMutations((t) => {
        for (let p: number = from; p < to; p += 7) t.set(P(p))
      })(original),
    )
    const extra = bitmap.retainedBytes([original, batch]) - bitmap.retainedBytes([original])
    expect(extra).toBeLessThanOrEqual(11 * (256 + 40) + 6 * 3 * 112 + 48 + 64 * 1024 + 256)
    const model = new Set<number>(
      bitmap.toPages(right(bitmap.slice(from, to)(original))).map((p) => p + from),
    )
    for (let p: number = from; p < to; p += 7) model.add(p)
    expect(bitmap.countRange(from, to)(batch)).toEqual(E.right(model.size))
    expect(bitmap.count(batch) - bitmap.count(original)).toBe(
      model.size - right(bitmap.countRange(from, to)(original)),
    )
  })
})

describe('a 4 TiB guest (2^30 pages)', () => {
  it('is cheap empty and full, and works like any bitmap', () => {
    const pages = 2 ** 30
    const empty = right(bitmap.empty(pages))
    expect(bitmap.retainedBytes([empty])).toBeLessThan(1024)
    expect(bitmap.count(empty)).toBe(0)
    const full = right(bitmap.full(pages))
    expect(bitmap.count(full)).toBe(pages)
    expect(bitmap.retainedBytes([full])).toBeLessThan(4096)
    const last = pages - 1
    const bm = right(
      pipe(
        empty,
        bitmap.set(P(0)),
        E.chainW(bitmap.set(P(last))),
        E.chainW(bitmap.setRange(P(2 ** 29), P(2 ** 29 + 2 ** 21))),
        E.chainW(bitmap.foldLeBitmap({ words: BigUint64Array.of(0xffn), base: P(2 ** 30 - 1024) })),
      ),
    )
    expect(bitmap.count(bm)).toBe(2 + 2 ** 21 + 8)
    expect(bitmap.nextSet(P(1))(bm)).toEqual(O.some(2 ** 29))
    expect(bitmap.nextSet(P(2 ** 29 + 2 ** 21))(bm)).toEqual(O.some(2 ** 30 - 1024))
    expect(bitmap.runs(bm)).toEqual([
      { start: 0, end: 1 },
      { start: 2 ** 29, end: 2 ** 29 + 2 ** 21 },
      { start: 2 ** 30 - 1024, end: 2 ** 30 - 1016 },
      { start: last, end: pages },
    ])
    const block = right(bitmap.slice(P(2 ** 29 - 10), P(2 ** 29 + 10))(bm))
    expect(bitmap.toPages(block)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
    expect(right(pipe(full, bitmap.difference(bm), E.map(bitmap.count)))).toBe(
      pages - bitmap.count(bm),
    )
    expect(bitmap.retainedBytes([bm])).toBeLessThan(2 * (64 * 1024 + 256) + 4096)
  })
  it('takes a fold of a whole 2^30-page dirty log', () => {
    const pages = 2 ** 30
    const log = new BigUint64Array(pages / 64) // 128 MiB
    const u32 = new Uint32Array(log.buffer)
    for (let i = 0; i < u32.length; i += 4099) u32[i] = 0x80000001
    const bm = right(bitmap.fromLeWords(pages)(log))
    expect(bitmap.count(bm)).toBe(2 * Math.ceil(u32.length / 4099))
    const back = right(bitmap.toLeWords(bm))
    expect(back.length).toBe(log.length)
    expect(Buffer.compare(new Uint8Array(back.buffer), new Uint8Array(log.buffer))).toBe(0)
  })
})
