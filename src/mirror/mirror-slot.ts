/**
 * A memslot of a mirror VM: a range of the mirror's own guest-physical space backed by
 * the main VM's RAM from a `ram_addr_t` on, as `KVM_SET_USER_MEMORY_REGION` on the mirror
 * VM's fd would install it (the mirror shares the main VM's SEV context through
 * `KVM_CAP_VM_COPY_ENC_CONTEXT_FROM` but has its own memslots).
 *
 * @module
 */
import type { MirrorGpa, RamAddr } from '../addresses/kinds.js'

/** Why a mirror slot exists. */
export type MirrorSource = 'identity' | 'shifted' | 'tuple' | 'helper'

/** One mirror memslot. */
export interface MirrorSlot {
  /** KVM slot id on the mirror VM. */
  readonly slot: number
  readonly mirrorGpa: MirrorGpa
  readonly size: bigint
  /** `ram_addr_t` of the slot's first byte. */
  readonly ramAddr: RamAddr
  /** The RAMBlock backing the slot. */
  readonly block: string
  readonly source: MirrorSource
  /** `KVM_MEM_READONLY` for ROM seen through the identity map, else 0; never log-dirty. */
  readonly flags: number
  /** For `tuple` slots: the index of the declaring tuple. */
  readonly tuple?: number
}

/** A slot before its id is assigned. */
export type UnnumberedSlot = Omit<MirrorSlot, 'slot'>

/** One past the slot's last mirror GPA. */
export const mirrorEnd = (s: { readonly mirrorGpa: bigint; readonly size: bigint }): bigint =>
  s.mirrorGpa + s.size

/** Numbers slots from 0 in the given order. */
export const number = (slots: ReadonlyArray<UnnumberedSlot>): ReadonlyArray<MirrorSlot> =>
  slots.map((s, slot) => ({ slot, ...s }))

/** Whether two slots describe the same mapping (ignoring ids). */
export const sameMapping = (a: UnnumberedSlot, b: UnnumberedSlot): boolean =>
  a.mirrorGpa === b.mirrorGpa &&
  a.size === b.size &&
  a.ramAddr === b.ramAddr &&
  a.flags === b.flags &&
  a.source === b.source
