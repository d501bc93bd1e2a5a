/**
 * The kernel's side of KVM dirty logging, as a value: what KVM remembers per memslot and
 * per vCPU ring, and what each ioctl and guest write does to it. Modelled from the KVM
 * API (Documentation/virt/kvm/api.rst: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, KVM_CAP_DIRTY_LOG_RING, KVM_RESET_DIRTY_RINGS).
 *
 * - Only slots created with `KVM_MEM_LOG_DIRTY_PAGES` log. Deleting a slot drops its
 *   dirty state: the VMM must harvest it first.
 * - Bitmap mode: a guest write sets the page's bit; `KVM_GET_DIRTY_LOG` returns the
 *   bitmap and clears it, unless manual protect is on, in which case only
 *   `KVM_CLEAR_DIRTY_LOG` clears (first page a multiple of 64, count a multiple of 64
 *   or reaching the slot end). With `INITIALLY_SET`, a new logging slot starts all dirty.
 * - Ring mode: a write to a page not yet reported pushes `{DIRTY, slot, offset}` onto the
 *   writing vCPU's ring; later writes to it push nothing until `KVM_RESET_DIRTY_RINGS`
 *   re-protects the harvested entries. The VMM harvests each ring strictly in order,
 *   marking entries `RESET`. When the ring's free entries fall to the reserved count the
 *   vCPU exits with `KVM_EXIT_DIRTY_RING_FULL`; a completely full ring takes no more.
 *
 * Pages are counted in host pages within the slot (the ring's `offset`).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import type { PageIndex } from '../addresses/kinds.js'
import * as bitmap from '../bitmap/index.js'
import { bitsOf } from '../bitmap/le-words.js'
import type { BitmapError, LeFold, PageBitmap } from '../bitmap/index.js'
import { KVM_MEM_LOG_DIRTY_PAGES } from './memslot.js'
import type { SlotOp } from './slot-table.js'

/** `KVM_DIRTY_GFN_F_DIRTY`. */
export const KVM_DIRTY_GFN_F_DIRTY = 1
/** `KVM_DIRTY_GFN_F_RESET`. */
export const KVM_DIRTY_GFN_F_RESET = 2
/** `KVM_DIRTY_RING_RSVD_ENTRIES`. */
export const KVM_DIRTY_RING_RSVD_ENTRIES = 64

/** A ring entry (`struct kvm_dirty_gfn`). */
export interface DirtyGfn {
  readonly flags: number
  /** `(as_id << 16) | slot id`. */
  readonly slot: number
  /** Host-page index within the slot. */
  readonly offset: PageIndex
}

/** One vCPU's ring. */
export interface DirtyRing {
  /** Entries, a power of two. */
  readonly size: number
  readonly entries: ReadonlyArray<DirtyGfn | undefined>
  /** Next entry the kernel writes. */
  readonly dirtyIndex: number
  /** Next entry the kernel resets. */
  readonly resetIndex: number
  /** Next entry the VMM harvests (QEMU `kvm_fetch_index`). */
  readonly fetchIndex: number
}

/** A memslot's dirty state. */
export interface SlotDirty {
  /** Host pages of the slot (a count). */
  readonly pages: number
  readonly logging: boolean
  /** Bitmap mode: the slot's dirty bitmap (bit i = host page i of the slot). */
  readonly dirty: PageBitmap
  /** Ring mode: pages reported and not yet re-protected. */
  readonly reported: ReadonlySet<PageIndex>
}

/** How the VM logs. */
export type LogMode =
  | { readonly kind: 'bitmap'; readonly manualProtect: boolean; readonly initiallySet: boolean }
  | { readonly kind: 'ring'; readonly size: number; readonly reserved: number }

/** The kernel's dirty state for one address space's slots. */
export interface KernelDirty {
  readonly mode: LogMode
  readonly asId: number
  readonly hostPageSize: bigint
  readonly slots: ReadonlyMap<number, SlotDirty>
  readonly rings: ReadonlyArray<DirtyRing>
}

/** Errors the ioctls return. */
export type KernelError =
  | { readonly _tag: 'ENOENT'; readonly slot: number; readonly message: string }
  | {
      readonly _tag: 'EINVAL'
      readonly slot: number
      readonly message: string
      /** The bitmap error behind it, when the log itself was bad. */
      readonly cause?: BitmapError
    }

/** A fresh state; `vcpus` rings in ring mode. */
export const init = (mode: LogMode, vcpus = 1, asId = 0, hostPageSize = 0x1000n): KernelDirty => ({
  mode,
  asId,
  hostPageSize,
  slots: new Map(),
  rings:
    mode.kind === 'ring'
      ? Array.from({ length: vcpus }, () => ({
          size: mode.size,
          entries: [],
          dirtyIndex: 0,
          resetIndex: 0,
          fetchIndex: 0,
        }))
      : [],
})

/** `KVM_SET_USER_MEMORY_REGION`: a new slot starts clean (all dirty with INITIALLY_SET); size 0 forgets it. */
export const setUserMemoryRegion =
  (op: SlotOp) =>
  (k: KernelDirty): KernelDirty => {
    const slots = new Map(k.slots)
    if (op.size === 0n) slots.delete(op.slot)
    else {
      const pages = Number(op.size / k.hostPageSize)
      const logging = (op.flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0
      const prev = slots.get(op.slot)
      const allDirty =
        logging && k.mode.kind === 'bitmap' && k.mode.manualProtect && k.mode.initiallySet
      const fresh = (allDirty ? bitmap.full(pages) : bitmap.empty(pages)) as E.Right<PageBitmap>
      slots.set(op.slot, {
        pages,
        logging,
        // a flags-only update keeps what was logged; a new slot starts clean or all set
        dirty: prev !== undefined && prev.pages === pages && logging ? prev.dirty : fresh.right,
        reported: prev !== undefined && prev.pages === pages && logging ? prev.reported : new Set(),
      })
    }
    return { ...k, slots }
  }

/** What a guest write did. */
export interface WriteResult {
  readonly kernel: KernelDirty
  /** The vCPU must exit to the VMM: its ring reached the soft limit. */
  readonly ringFull: boolean
}

const used = (r: DirtyRing): number => r.dirtyIndex - r.resetIndex

/**
 * A guest write by `vcpu` to host page `page` of slot `slot`. Writes to slots that do not
 * log, or past a slot's end, change nothing.
 */
export const guestWrite =
  (vcpu: number, slot: number, page: PageIndex) =>
  (k: KernelDirty): WriteResult => {
    const s = k.slots.get(slot)
    if (s === undefined || !s.logging || page < 0 || page >= s.pages)
      return { kernel: k, ringFull: false }
    if (k.mode.kind === 'bitmap') {
      const dirty = bitmap.set(page)(s.dirty)
      if (E.isLeft(dirty) || dirty.right === s.dirty) return { kernel: k, ringFull: false }
      return {
        kernel: { ...k, slots: new Map(k.slots).set(slot, { ...s, dirty: dirty.right }) },
        ringFull: false,
      }
    }
    const ring = k.rings[vcpu]
    if (ring === undefined || s.reported.has(page))
      return {
        kernel: k,
        ringFull: ring !== undefined && used(ring) >= ring.size - k.mode.reserved,
      }
    if (used(ring) >= ring.size) return { kernel: k, ringFull: true } // hard full: the vCPU cannot run
    const entries = [...ring.entries]
    entries[ring.dirtyIndex % ring.size] = {
      flags: KVM_DIRTY_GFN_F_DIRTY,
      slot: (k.asId << 16) | slot,
      offset: page,
    }
    const next: DirtyRing = { ...ring, entries, dirtyIndex: ring.dirtyIndex + 1 }
    const rings = [...k.rings]
    rings[vcpu] = next
    return {
      kernel: {
        ...k,
        rings,
        slots: new Map(k.slots).set(slot, { ...s, reported: new Set(s.reported).add(page) }),
      },
      ringFull: used(next) >= next.size - k.mode.reserved,
    }
  }

const wordsOf = (bm: PageBitmap): BigUint64Array => {
  const w = bitmap.toLeWords(bm)
  return E.isRight(w) ? new BigUint64Array(w.right) : new BigUint64Array(Math.ceil(bm.pages / 64))
}

/**
 * `KVM_GET_DIRTY_LOG`: the slot's bitmap as little-endian 64-bit words (bit i = page i);
 * cleared by the call unless manual protect is on.
 */
export const getDirtyLog =
  (slot: number) =>
  (
    k: KernelDirty,
  ): E.Either<KernelError, { readonly kernel: KernelDirty; readonly bitmap: BigUint64Array }> => {
    const s = k.slots.get(slot)
    if (s === undefined)
      return E.left({ _tag: 'ENOENT', slot, message: `slot ${slot} does not exist` })
    if (!s.logging)
      return E.left({ _tag: 'ENOENT', slot, message: `slot ${slot} does not log dirty pages` })
    const words = wordsOf(s.dirty)
    const manual = k.mode.kind === 'bitmap' && k.mode.manualProtect
    const clean = (bitmap.empty(s.pages) as E.Right<PageBitmap>).right
    return E.right({
      kernel: manual ? k : { ...k, slots: new Map(k.slots).set(slot, { ...s, dirty: clean }) },
      bitmap: words,
    })
  }

/**
 * `KVM_CLEAR_DIRTY_LOG` (manual protect): clears the pages set in `log.words` (bit i = page
 * `log.base + i` of the slot, for `log.pages` pages: `struct kvm_clear_dirty_log`'s
 * `dirty_bitmap`, `first_page` and `num_pages`, in the convention of `bitmap.foldLeBitmap`)
 * and re-protects them. `base` must be a multiple of 64 and `pages` (by default every bit of
 * `words`) a multiple of 64 or reach the slot's end.
 */
export const clearDirtyLog =
  (slot: number, log: LeFold) =>
  (k: KernelDirty): E.Either<KernelError, KernelDirty> => {
    const firstPage = log.base
    const numPages = log.pages ?? bitsOf(log.words)
    const s = k.slots.get(slot)
    if (s === undefined || !s.logging)
      return E.left({
        _tag: 'ENOENT',
        slot,
        message: `slot ${slot} does not exist or does not log`,
      })
    if (k.mode.kind !== 'bitmap' || !k.mode.manualProtect)
      return E.left({
        _tag: 'EINVAL',
        slot,
        message: 'KVM_CLEAR_DIRTY_LOG needs manual dirty-log protection',
      })
    if (
      firstPage % 64 !== 0 ||
      firstPage < 0 ||
      numPages < 0 ||
      firstPage + numPages > s.pages ||
      (numPages % 64 !== 0 && firstPage + numPages !== s.pages)
    )
      return E.left({
        _tag: 'EINVAL',
        slot,
        message: `slot ${slot}: first page ${firstPage} and count ${numPages} must be multiples of 64 (the count may instead reach the slot end, ${s.pages})`,
      })
    // the pages to clear, placed at firstPage, taken out of the slot's bitmap
    const cleared = pipe(
      bitmap.empty(s.pages),
      E.chainW(bitmap.foldLeBitmap({ ...log, pages: numPages })),
      E.chainW((mask) => bitmap.difference(mask)(s.dirty)),
    )
    if (E.isLeft(cleared))
      return E.left({
        _tag: 'EINVAL',
        slot,
        message: `slot ${slot}: ${cleared.left.message}`,
        cause: cleared.left,
      })
    return E.right({ ...k, slots: new Map(k.slots).set(slot, { ...s, dirty: cleared.right }) })
  }

/**
 * The VMM harvesting one vCPU's ring in order (QEMU `kvm_dirty_ring_reap_one`): every
 * entry from the fetch index that is `DIRTY`, marked `RESET`.
 */
export const harvest =
  (vcpu: number) =>
  (k: KernelDirty): { readonly kernel: KernelDirty; readonly entries: ReadonlyArray<DirtyGfn> } => {
    const ring = k.rings[vcpu]
    if (ring === undefined) return { kernel: k, entries: [] }
    const entries = [...ring.entries]
    const out: DirtyGfn[] = []
    let fetch = ring.fetchIndex
    for (;;) {
      const e = entries[fetch % ring.size]
      if (e === undefined || e.flags !== KVM_DIRTY_GFN_F_DIRTY || fetch >= ring.dirtyIndex) break
      out.push(e)
      entries[fetch % ring.size] = { ...e, flags: KVM_DIRTY_GFN_F_RESET }
      fetch++
    }
    const rings = [...k.rings]
    rings[vcpu] = { ...ring, entries, fetchIndex: fetch }
    return { kernel: { ...k, rings }, entries: out }
  }

/**
 * `KVM_RESET_DIRTY_RINGS`: re-protects every harvested entry's page and frees the
 * entries; returns how many were reset.
 */
export const resetDirtyRings = (
  k: KernelDirty,
): { readonly kernel: KernelDirty; readonly reset: number } => {
  let count = 0
  const slots = new Map(k.slots)
  const rings = k.rings.map((ring) => {
    const entries = [...ring.entries]
    let reset = ring.resetIndex
    for (; reset < ring.fetchIndex; reset++) {
      const e = entries[reset % ring.size]
      if (e === undefined || e.flags !== KVM_DIRTY_GFN_F_RESET) break
      const id = e.slot & 0xffff
      const s = slots.get(id)
      if (s !== undefined && e.slot >> 16 === k.asId) {
        const reported = new Set(s.reported)
        reported.delete(e.offset)
        slots.set(id, { ...s, reported })
      }
      entries[reset % ring.size] = undefined
      count++
    }
    return { ...ring, entries, resetIndex: reset }
  })
  return { kernel: { ...k, slots, rings }, reset: count }
}
