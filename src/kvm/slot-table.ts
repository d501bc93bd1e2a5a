/**
 * A KVM memory listener's slot table (`KVMMemoryListener.slots`): slot ids index an array
 * of `nr_slots` entries; an entry with size 0 is free. QEMU allocates the lowest free id
 * (`kvm_get_free_slot`) and the ioctl names the slot `(as_id << 16) | id`.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { Memslot } from './memslot.js'

/** A slot in use. */
export interface KvmSlot extends Memslot {
  readonly slot: number
}

/** One `KVM_SET_USER_MEMORY_REGION` call: size 0 deletes the slot. */
export interface SlotOp {
  readonly slot: number
  readonly flags: number
  readonly gpa: bigint
  readonly size: bigint
  readonly ramAddr: bigint
}

/** The table of one address space's listener. */
export interface SlotTable {
  readonly asId: number
  readonly nrSlots: number
  /** Index = slot id; `undefined` = free. */
  readonly slots: ReadonlyArray<KvmSlot | undefined>
}

/** Why a slot operation failed (QEMU aborts in both cases). */
export type SlotError =
  | {
      readonly _tag: 'NoFreeSlot'
      readonly nrSlots: number
      readonly gpa: bigint
      readonly message: string
    }
  | { readonly _tag: 'BadSlotOp'; readonly op: SlotOp; readonly message: string }

/** An empty table (KVM x86 reports 509 or 32764 slots; QEMU assumes 32 if told 0). */
export const empty = (nrSlots = 509, asId = 0): SlotTable => ({ asId, nrSlots, slots: [] })

/** The slots in use, by id. */
export const used = (t: SlotTable): ReadonlyArray<KvmSlot> =>
  t.slots.filter((s): s is KvmSlot => s !== undefined)

/** The lowest free slot id, if any (`kvm_get_free_slot`). */
export const lowestFree = (t: SlotTable): number | undefined => {
  for (let i = 0; i < t.nrSlots; i++) if (t.slots[i] === undefined) return i
  return undefined
}

/** The slot with exactly this start and size (`kvm_lookup_matching_slot`). */
export const matching =
  (gpa: bigint, size: bigint) =>
  (t: SlotTable): KvmSlot | undefined =>
    t.slots.find((s) => s !== undefined && s.gpa === gpa && s.size === size)

/**
 * Applies a recorded or modelled ioctl: size 0 frees the slot, anything else fills it.
 *
 * @example
 * import * as kvm from 'ramaddr/kvm'
 * import * as either from 'fp-ts/lib/Either.js'
 * import { pipe } from 'fp-ts/lib/function.js'
 * const t = pipe(
 *   either.right(kvm.slotTable.empty()),
 *   either.chain(kvm.slotTable.apply({ slot: 0, flags: 0, gpa: 0n, size: 0xa0000n, ramAddr: 0n })),
 *   either.chain(kvm.slotTable.apply({ slot: 0, flags: 0, gpa: 0n, size: 0n, ramAddr: 0n })),
 * )
 * assert.ok(either.isRight(t))
 * assert.equal(kvm.slotTable.lowestFree(t.right), 0)
 */
export const apply =
  (op: SlotOp) =>
  (t: SlotTable): E.Either<SlotError, SlotTable> => {
    if (!Number.isInteger(op.slot) || op.slot < 0 || op.slot >= t.nrSlots)
      return E.left({
        _tag: 'BadSlotOp',
        op,
        message: `slot ${op.slot} is outside 0..${t.nrSlots - 1}`,
      })
    const slots = [...t.slots]
    slots[op.slot] =
      op.size === 0n
        ? undefined
        : { slot: op.slot, gpa: op.gpa, size: op.size, flags: op.flags, ramAddr: op.ramAddr }
    while (slots.length > 0 && slots[slots.length - 1] === undefined) slots.pop()
    return E.right({ ...t, slots })
  }
