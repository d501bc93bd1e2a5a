/**
 * `info mtree` / `info mtree -D` and `info mtree -f` text of any dialect: parse it into a
 * topology (`topology.Topology`), print a topology back, and learn what the text cannot show
 * from a flat view (`info mtree -f`) of the same state.
 *
 * @category QEMU dumps
 * @module
 */
export {
  parse,
  parseDump,
  type Assumption,
  type MtreeDialect,
  type MtreeDump,
  type ParseOptions,
} from './mtree-parse.js'
export { print, type PrintOptions } from './mtree-print.js'
export { learn, fromSameState, learnOrder, type FlatViewMismatch, type Learned } from './learn.js'
export {
  parse as parseFlat,
  print as printFlat,
  type Accel,
  type FlatPrintOptions,
  type FlatRangeLine,
  type FlatViewBlock,
} from './mtree-flat.js'
export { FACTS, QEMU, NOTHING, type FactSource, type RegionKnowledge } from './knowledge.js'
