/**
 * The region tree: topology edits and region identity across dumps.
 *
 * @module
 */
export * from './topology.js'
export * from './correspond.js'
export * from './region-ref.js'
