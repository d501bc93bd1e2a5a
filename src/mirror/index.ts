/**
 * Mirror VMs for confidential-guest migration: the mirror's memslot table under the
 * shifted-`ram_addr_t` scheme or declared tuples, the helper's own memory, translators
 * between main GPA, mirror GPA and `ram_addr_t`, validators, and repairs after BAR moves.
 *
 * @module
 */
export * from './mirror-slot.js'
export * from './shifted.js'
export * from './tuple.js'
export * from './helper.js'
export * from './guest-visible.js'
export * from './plan.js'
export * from './validate.js'
export * from './translate.js'
export * from './after-move.js'
export * from './blocks.js'
export type { Violation, Span } from './violation.js'
