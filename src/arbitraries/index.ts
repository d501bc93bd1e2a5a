/**
 * fast-check arbitraries for property-testing address maps (`ramaddr/arbitraries`). It
 * needs `fast-check` (an optional peer dependency); the main entry does not.
 *
 * @module
 */
export * as regionTree from './region-tree.js'
