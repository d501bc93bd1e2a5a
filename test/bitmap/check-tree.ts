// The bitmap tree's structural invariants (src/bitmap/layout.ts), checked by walking it.
import { expect } from 'vitest'
import type { PageBitmap } from '../../src/bitmap/index.js'
import {
  CLEAR,
  FANOUT,
  FULL,
  RUN_HEIGHT,
  WORDS,
  child,
  heightFor,
  kidsOf,
  span,
  type Node,
} from '../../src/bitmap/layout.js'
import { rootOf } from '../../src/bitmap/tree.js'

/**
 * The tree is well formed and canonical, and no page at or past `pages` is set. Leaves and
 * runs (see layout.ts) are never all clear or all set, and runs are only of height
 * RUN_HEIGHT + 1 or less; the parts of a run (its leaves, or an inner node's empty slots
 * over the run it was split from) may be all clear or all set.
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
  const visit = (node: Node, k: number, base: number, part: boolean): void => {
    switch (node.tag) {
      case 'clear':
        return
      case 'full':
        if (base + span(k) > bm.pages) problems.push(`full node past the end at ${base}`)
        return
      case 'leaf':
      case 'run': {
        const { w, o } = node
        if ((node.tag === 'leaf') !== (k === 0)) problems.push(`${node.tag} of height ${k}`)
        if (k > RUN_HEIGHT + 1) problems.push(`run of height ${k} at ${base}`)
        const words = w.subarray(o, o + WORDS[k]!)
        if (words.length !== WORDS[k]) problems.push(`run past its slab at ${base}`)
        if (!part && words.every((x) => x === 0)) problems.push(`clear run at ${base} not shared`)
        if (!part && words.every((x) => x === 0xffffffff))
          problems.push(`full run at ${base} not shared`)
        noneBeyond(w, o, k, base)
        return
      }
      case 'inner': {
        if (k === 0) problems.push(`inner node of height 0 at ${base}`)
        const slots = kidsOf(node, k)
        if (node.bg.tag === 'run') {
          if (slots.every((x) => x !== undefined))
            problems.push(`inner node at ${base} keeps a run it does not use`)
          if (node.bg.w.length < node.bg.o + WORDS[k]!) problems.push(`background past its slab`)
        } else {
          const kids = slots.map((x) => x ?? CLEAR)
          if (kids.every((c) => c === CLEAR)) problems.push(`clear node at ${base} not shared`)
          if (kids.every((c) => c === FULL)) problems.push(`full node at ${base} not shared`)
        }
        for (let c = 0; c < FANOUT; c++)
          visit(child(node, c, k), k - 1, base + c * span(k - 1), slots[c] === undefined)
      }
    }
  }
  visit(rootOf(bm), h, 0, false)
  expect(problems).toEqual([])
}
