/**
 * Mirror VMs for confidential-guest migration: the mirror's memslot table under the
 * shifted-`ram_addr_t` scheme or declared tuples, the helper's own memory, translators
 * between main GPA, mirror GPA and `ram_addr_t`, validators, and repairs after BAR moves.
 *
 * @module
 */
export * as mirrorSlot from './mirror-slot.js'
export * as shifted from './shifted.js'
export * as tuple from './tuple.js'
export * as helper from './helper.js'
export * as guestVisible from './guest-visible.js'
export * as plan from './plan.js'
export * as validate from './validate.js'
export * as translate from './translate.js'
export * as afterMove from './after-move.js'
export * as blocks from './blocks.js'
export type { MirrorSlot, MirrorSource, UnnumberedSlot } from './mirror-slot.js'
export type { Tuple } from './tuple.js'
export type { HelperSpec, HelperLayout } from './helper.js'
export type { MirrorPlan, PlanInput, PlanResult, Scheme } from './plan.js'
export type { Violation, Span } from './violation.js'
export type { AfterMove, MirrorSlotOp, Invalidated } from './after-move.js'
