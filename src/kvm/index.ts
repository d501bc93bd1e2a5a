/**
 * KVM memory slots: which sections get slots, the slot table, the listener's calls.
 *
 * @module
 */
export * from './memslot.js'
export * as slotTable from './slot-table.js'
export * from './listener.js'
export * from './trace.js'
export * from './from-map.js'
export * as kernel from './kernel-dirty.js'
