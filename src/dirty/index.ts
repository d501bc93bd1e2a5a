/**
 * Dirty tracking keyed by `ram_addr_t`: QEMU's dirty memory and the whole KVM pipeline.
 *
 * @module
 */
export * as memory from './dirty-memory.js'
export * as tracker from './tracker.js'
