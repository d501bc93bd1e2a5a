// The bitmap tree's structural invariants (src/bitmap/layout.ts), checked by walking it.
import { expect } from 'vitest'
import type { PageBitmap } from '../../src/bitmap/index.js'
import {
  FANOUT,
  RUN_HEIGHT,
  WORDS,
  full,
  heightFor,
  isInner,
  isShared,
  span,
  zero,
  type Node,
} from '../../src/bitmap/layout.js'

/**
 * The tree is well formed and canonical, and no page at or past `pages` is set. Runs (see
 * layout.ts) are never all clear or all set, and only of height RUN_HEIGHT or less; the
 * leaves inside a run, and children stored as offsets of a home slab, may be all clear or
 * all set.
 */
export const checkTree = (bm: PageBitmap): void => {
  const h = heightFor(bm.pages)
  const problems: string[] = []
  const noneBeyond = (w: Uint32Array, o: number, k: number, base: number): void => {
    for (let p = Math.max(bm.pages, base); p < base + span(k); p++)
      if ((((w[o + ((p - base) >>> 5)] ?? 0) >>> (p & 31)) & 1) !== 0) {
        problems.push(`page ${p} set`)
        return
      }
  }
  const visit = (node: Node, k: number, base: number, isRoot: boolean): void => {
    if (isShared(node)) {
      if (node !== zero(k) && node !== full(k))
        problems.push(`shared node of another height at ${base}`)
      if (node === full(k) && base + span(k) > bm.pages)
        problems.push(`full node past the end at ${base}`)
      return
    }
    if (!isInner(node)) {
      const { w, o } = node
      if (k > RUN_HEIGHT) problems.push(`run of height ${k} at ${base}`)
      const words = w.subarray(o, o + WORDS[k]!)
      if (words.length !== WORDS[k]) problems.push(`run past its slab at ${base}`)
      if (words.every((x) => x === 0)) problems.push(`clear run at ${base} not shared`)
      if (words.every((x) => x === 0xffffffff)) problems.push(`full run at ${base} not shared`)
      noneBeyond(w, o, k, base)
      return
    }
    const inner = node
    const n = inner.length > FANOUT ? FANOUT : inner.length
    if (inner.length > FANOUT + 1 || (!isRoot && n !== FANOUT))
      problems.push(`node of ${inner.length} entries at ${base}`)
    const home = inner.length > FANOUT ? inner[FANOUT] : undefined
    if (home !== undefined && !(home instanceof Uint32Array))
      problems.push(`home slot at ${base} holds no slab`)
    const kids = inner.slice(0, n)
    if (kids.every((c) => c === zero(k - 1))) problems.push(`clear node at ${base} not shared`)
    if (n === FANOUT && kids.every((c) => c === full(k - 1)))
      problems.push(`full node at ${base} not shared`)
    kids.forEach((c, i) => {
      const cb = base + i * span(k - 1)
      if (typeof c === 'number') {
        if (!(home instanceof Uint32Array)) problems.push(`offset child at ${cb} with no home`)
        else if (c < 0 || c + WORDS[k - 1]! > home.length)
          problems.push(`offset child at ${cb} past its slab`)
        else noneBeyond(home, c, k - 1, cb)
      } else if (c instanceof Uint32Array) problems.push(`slab as a child at ${cb}`)
      else visit(c, k - 1, cb, false)
    })
  }
  visit(bm.root, h, 0, true)
  expect(problems).toEqual([])
}
