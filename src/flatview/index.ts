/**
 * Flat views: a memory-region tree rendered into the sorted, non-overlapping ranges QEMU's
 * `generate_memory_topology` builds (`softmmu/memory.c`), looked up and compared.
 *
 * @category Flat views
 * @module
 */
export type { FlatRange } from './flat-range.js'
export { render, type RenderOptions } from './render.js'
export {
  flatviewRoot,
  fromRanges,
  ofRoot,
  renderAll,
  lookup,
  type FlatView,
  type SharedView,
  type Section,
} from './flatview.js'
export {
  diff,
  updates,
  transaction,
  type ViewChange,
  type Updates,
  type ListenerEvent,
} from './diff.js'
