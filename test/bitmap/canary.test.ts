// No memory the process used before reaches a bitmap: the allocator is dirtied with a
// pattern (blocks of 0xab freed for new slabs to reuse), every operation that allocates
// runs, and no slab any result holds (its free tail included) may contain the pattern.
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect, it } from 'vitest'
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import { PageIndex } from '../../src/addresses/kinds.js'
import * as bitmap from '../../src/bitmap/index.js'
import type { PageBitmap } from '../../src/bitmap/index.js'
import { FANOUT, child, heightFor, type Node } from '../../src/bitmap/layout.js'
import { rootOf } from '../../src/bitmap/tree.js'

const P = PageIndex.unsafe
const PATTERN = 0xabababab
const right = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message)
  return e.right
}

/** Every slab the bitmap's tree holds words in. */
const slabs = (bm: PageBitmap): Set<Uint32Array> => {
  const out = new Set<Uint32Array>()
  const visit = (n: Node, h: number): void => {
    if (n.tag === 'leaf' || n.tag === 'run') out.add(n.w)
    else if (n.tag === 'inner') {
      if (n.bg.tag === 'run') out.add(n.bg.w)
      for (let c = 0; c < FANOUT; c++) visit(child(n, c, h), h - 1)
    }
  }
  visit(rootOf(bm), heightFor(bm.pages))
  return out
}

it('every operation that allocates leaves the pattern out of every slab it reaches', () => {
  v8.setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const dirty = (): void => {
    const junk: Buffer[] = []
    for (let i = 0; i < 128; i++) junk.push(Buffer.alloc(64 * 1024, 0xab))
    for (let i = 0; i < 64; i++) junk.push(Buffer.alloc(128 * 1024, 0xab))
    junk.length = 0
    gc()
  }
  const pages = 600 * 2048 + 77
  const words = new BigUint64Array(Math.ceil(pages / 64))
  const u32 = new Uint32Array(words.buffer)
  for (let i = 0; i < u32.length; i++)
    u32[i] = i % 3 === 0 ? 0x80000001 : i % 5 === 0 ? 0x0f0f0f0f : 0
  u32.fill(0xffffffff, 5000, 9000)
  const empty = right(bitmap.empty(pages))
  const folded = (): PageBitmap => right(bitmap.fromLeWords(pages)(words))
  const a = folded()
  const b = right(pipe(empty, bitmap.setRange(P(1000), P(900000))))
  const ops: Array<[string, () => PageBitmap]> = [
    ['fromLeWords', folded],
    ['fold, aligned', () => right(bitmap.foldLeBitmap({ words, base: P(0), pages })(b))],
    [
      'fold, unaligned',
      () => right(bitmap.foldLeBitmap({ words, base: P(3), pages: pages - 3 })(b)),
    ],
    ['union', () => right(bitmap.union(b)(a))],
    ['intersection', () => right(bitmap.intersection(b)(a))],
    ['difference', () => right(bitmap.difference(b)(a))],
    ['slice', () => right(bitmap.slice(P(64), P(pages - 5))(a))],
    ['setSlice', () => right(bitmap.setSlice(P(3), right(bitmap.slice(P(0), P(500000))(a)))(b))],
    ['setRange', () => right(bitmap.setRange(P(17), P(300001))(a))],
    ['clearRange', () => right(bitmap.clearRange(P(17), P(300001))(a))],
    ['set', () => right(bitmap.set(P(123457))(a))],
    ['clear', () => right(bitmap.clear(P(5000 * 32 + 3))(a))],
    ['full', () => right(bitmap.full(pages))],
    ['fromPages', () => right(bitmap.fromPages(pages)([1, 5, 70000, pages - 1].map(P)))],
    [
      'fromRuns',
      () =>
        right(
          bitmap.fromRuns(pages)([
            { start: P(3), end: P(70000) },
            { start: P(99), end: P(100) },
          ]),
        ),
    ],
    [
      'withMutations',
      () =>
        right(
          bitmap.withMutations((t) => {
            for (let p = 0; p < pages; p += 4099) t.set(P(p))
            t.setRange(P(10), P(50000))
            t.clear(P(20))
          })(a),
        ),
    ],
    ['hostToTarget', () => right(bitmap.hostToTarget(3)(right(bitmap.slice(P(0), P(100000))(a))))],
    ['roundToGranule', () => right(bitmap.roundToGranule(512)(a))],
  ]
  for (const [name, op] of ops) {
    dirty()
    const bm = op()
    const bad = [...slabs(bm)].filter((w) => w.includes(PATTERN)).length
    expect([name, bad]).toEqual([name, 0])
  }
})
