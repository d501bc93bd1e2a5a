/**
 * What can go wrong in the Xen layer, as values. Each error says what was wrong and
 * where (the gfn, the view index, the byte offset of a stream); where it stands for a
 * hypercall's failure the Xen error code is named.
 *
 * @module
 */
import type { Gfn } from '../addresses/kinds.js'

/** A host p2m that cannot be built: runs overlap, are empty or leave the 64-bit space. */
export interface InvalidHostP2m {
  readonly _tag: 'InvalidHostP2m'
  readonly run: number
  readonly message: string
}

/** A view index that is out of range, not active, or not usable for the operation. */
export interface BadView {
  readonly _tag: 'BadView'
  readonly view: number
  readonly message: string
}

/**
 * A gfn with no entry an altp2m operation can use: neither an entry in the view nor a
 * valid `p2m_ram_rw` host entry (Xen's `-ESRCH` from `altp2m_get_effective_entry`,
 * xen/arch/x86/mm/altp2m.c), or no mapping at all for an access.
 */
export interface NoEntry {
  readonly _tag: 'NoEntry'
  readonly view: number
  readonly gfn: Gfn
  readonly message: string
}

/** A view entry that does not correspond to any host frame, so it has no gfn-level form. */
export interface UnbackedEntry {
  readonly _tag: 'UnbackedEntry'
  readonly view: number
  readonly gfn: Gfn
  readonly message: string
}

/**
 * Passthrough and log-dirty together: the IOMMU writes through the host p2m and log-dirty
 * never sees DMA, so Xen refuses one while the other is on (`paging_log_dirty_enable`
 * returns -EINVAL when `has_arch_pdevs`, xen/arch/x86/mm/paging.c;
 * `arch_iommu_use_permitted` refuses device assignment under global log-dirty,
 * xen/drivers/passthrough/x86/iommu.c).
 */
export interface PassthroughVsLogDirty {
  readonly _tag: 'PassthroughVsLogDirty'
  readonly message: string
}

/** An operation in the wrong log-dirty or passthrough state (already on, not on, no device). */
export interface BadState {
  readonly _tag: 'BadState'
  readonly message: string
}

/** A migration stream that cannot be decoded: what was wrong and at which byte. */
export interface StreamError {
  readonly _tag: 'StreamError'
  readonly offset: number
  readonly message: string
}

/** A decoded stream that cannot be restored onto the destination: which record and why. */
export interface RestoreError {
  readonly _tag: 'RestoreError'
  readonly record: number
  readonly message: string
}

/** Every Xen-layer error. */
export type XenError =
  | InvalidHostP2m
  | BadView
  | NoEntry
  | UnbackedEntry
  | PassthroughVsLogDirty
  | BadState
  | StreamError
  | RestoreError

/** `0x…` text for messages. */
export const hx = (n: bigint | number): string => '0x' + n.toString(16)

/** A {@link BadView}. */
export const badView = (view: number, message: string): BadView => ({
  _tag: 'BadView',
  view,
  message,
})

/** A {@link NoEntry}. */
export const noEntry = (view: number, gfn: Gfn, why: string): NoEntry => ({
  _tag: 'NoEntry',
  view,
  gfn,
  message: `view ${view}, gfn ${hx(gfn)}: ${why}`,
})

/** A {@link StreamError}. */
export const streamError = (offset: number, message: string): StreamError => ({
  _tag: 'StreamError',
  offset,
  message: `at byte ${offset}: ${message}`,
})

/** A {@link RestoreError}. */
export const restoreError = (record: number, message: string): RestoreError => ({
  _tag: 'RestoreError',
  record,
  message: `record ${record}: ${message}`,
})
