/**
 * Persistent page bitmaps keyed by page index: QEMU's dirty bitmaps and KVM's dirty logs as
 * values. Every update returns a new bitmap sharing all untouched storage with the old one.
 *
 * @module
 */
export type { PageBitmap } from './bitmap.js'
export { empty, full, test, set, clear, isEmpty, isFull, equals, Eq } from './bitmap.js'
export type { BitmapError } from './errors.js'
export { MAX_PAGES } from './layout.js'
export { setRange, clearRange, count, countRange } from './ranges.js'
export {
  nextSet,
  nextClear,
  setPageFinder,
  testAny,
  testAll,
  reducePages,
  toPages,
} from './search.js'
export type { PageRun } from './runs.js'
export { runs, reduceRuns, fromRuns } from './runs.js'
export { union, intersection, difference } from './set-ops.js'
export type { Transient } from './transient.js'
export { withMutations, fromPages } from './transient.js'
export type { LeBitmap, LeFold } from './le-words.js'
export { foldLeBitmap, fromLeWords, fromLeBytes, toLeWords, toLeBytes } from './le-words.js'
export { slice, setSlice } from './slice.js'
export { hostToTarget, targetToHost, roundToGranule } from './granule.js'
export { retainedBytes } from './retained.js'
export { toPageArray, toPageArray32, toRunArrays } from './bulk.js'
