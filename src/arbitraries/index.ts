/**
 * fast-check arbitraries for property-testing address maps (`ramaddr/arbitraries`). It
 * needs `fast-check` (an optional peer dependency); the main entry does not.
 *
 * @module
 */
export * as regionTree from './region-tree.js'
export * as edits from './edits.js'
export * as addresses from './addresses.js'
export * as ramLists from './ram-list.js'
export * as kvm from './kvm.js'
export * as mirror from './mirror.js'
export * as xen from './xen.js'
