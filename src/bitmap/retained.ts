/**
 * How much memory a set of bitmaps keeps alive, counted from their structure rather than
 * from the process heap: storage shared between versions is counted once, which is what
 * makes a persistent bitmap cheap to keep many versions of.
 *
 * @module
 */
import type { PageBitmap } from './bitmap.js'
import { isShared, kidsOf, type Node } from './layout.js'
import { heightOf, rootOf } from './tree.js'

/**
 * Bytes per object, as V8 lays them out in a 64-bit Node without pointer compression
 * (measured with `process.memoryUsage()` on Node 20): a bitmap value (4 fields), an inner
 * node (10 fields: tag, background, eight slots), a leaf or run (3 fields), and a slab's
 * typed array, array buffer and backing-store record on top of its bytes.
 */
export const OBJECT_BYTES = {
  bitmap: 56,
  inner: 104,
  leaf: 48,
  slab: 256,
} as const

/**
 * The bytes the bitmaps keep alive together: every distinct inner node, leaf or run and
 * leaf slab (a slab whole, even if only some of its leaves are still in use) counted
 * once, plus each bitmap value; the shared all-clear and all-set nodes are not counted.
 * `retainedBytes([old, ...versions]) - retainedBytes([old])` is what keeping the versions
 * costs beyond `old`.
 *
 * @example
 * import { bitmap, PageIndex } from 'ramaddr'
 * import * as either from 'fp-ts/lib/Either.js'
 * const base = bitmap.empty(2 ** 28)
 * assert.ok(either.isRight(base))
 * const versions = []
 * let bm = base.right
 * for (let i = 0; i < 100; i++) {
 *   const next = bitmap.set(PageIndex.unsafe(i * 2_000_003))(bm)
 *   assert.ok(either.isRight(next))
 *   versions.push((bm = next.right))
 * }
 * const extra = bitmap.retainedBytes([base.right, ...versions]) - bitmap.retainedBytes([base.right])
 * assert.ok(extra < 100 * 1500) // about 1 KiB per one-page update
 */
export const retainedBytes = (bms: ReadonlyArray<PageBitmap>): number => {
  const seen = new Set<object>()
  let bytes = 0
  const slab = (w: Uint32Array): void => {
    if (seen.has(w.buffer)) return
    seen.add(w.buffer)
    bytes += w.byteLength + OBJECT_BYTES.slab
  }
  const visit = (node: Node, h: number): void => {
    if (seen.has(node) || isShared(node)) return
    seen.add(node)
    switch (node.tag) {
      case 'leaf':
      case 'run':
        bytes += OBJECT_BYTES.leaf
        slab(node.w)
        return
      case 'inner':
        bytes += OBJECT_BYTES.inner
        // empty slots read as parts of the background: the run is counted once, whole
        visit(node.bg, h)
        for (const x of kidsOf(node, h)) if (x !== undefined) visit(x, h - 1)
    }
  }
  for (const bm of bms) {
    if (seen.has(bm)) continue
    seen.add(bm)
    bytes += OBJECT_BYTES.bitmap
    visit(rootOf(bm), heightOf(bm))
  }
  return bytes
}
