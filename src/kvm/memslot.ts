/**
 * KVM memory slots as QEMU 7.2 derives them from a flat view (accel/kvm/kvm-all.c,
 * `kvm_set_phys_mem`, `kvm_align_section`, `kvm_mem_flags`).
 *
 * - RAM, ROM and RAM-device sections get a slot; a ROM device gets a read-only slot while
 *   in romd mode and none otherwise (every access traps); I/O never gets one.
 * - The section is shrunk to whole host pages: start rounded up, size rounded down; a
 *   section with no whole page gets no slot (accesses exit to QEMU as MMIO).
 * - Flags come from the region, not the flat range: `KVM_MEM_LOG_DIRTY_PAGES` when any
 *   dirty-log client is on, `KVM_MEM_READONLY` when the region itself is read-only or a
 *   romd device. A read-only alias onto RAM (PAM's `pam-rom`) keeps a writable slot.
 * - Slots larger than the kernel's maximum are split into chunks (x86 has no maximum).
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { FlatRange } from '../flatview/flat-range.js'
import { isRam, isRomd, type Region } from '../region/region.js'

/** `KVM_MEM_LOG_DIRTY_PAGES`. */
export const KVM_MEM_LOG_DIRTY_PAGES = 1
/** `KVM_MEM_READONLY`. */
export const KVM_MEM_READONLY = 2

/** A memslot: `[gpa, gpa + size)` backed from `ramAddr` on. */
export interface Memslot {
  readonly gpa: bigint
  readonly size: bigint
  readonly flags: number
  /** `ram_start_offset`: the `ram_addr_t` of the slot's first byte. */
  readonly ramAddr: bigint
}

/** What the KVM side supports. */
export interface KvmOptions {
  /** Host page size (default 4 KiB). */
  readonly hostPageSize?: bigint
  /** `KVM_CAP_READONLY_MEM` (default true, as on x86). */
  readonly readonlyMem?: boolean
  /** `kvm_max_slot_size` (default unlimited, as on x86; s390x uses 4 TiB). */
  readonly maxSlotSize?: bigint
}

/** Whether a section of this region is slotted at all (`kvm_set_phys_mem`'s first test). */
export const wantsSlot =
  (options: KvmOptions = {}) =>
  (mr: Region): boolean => {
    if (isRam(mr)) return true
    const writable = !mr.readonly && mr.kind !== 'romDevice'
    if (writable || options.readonlyMem === false) return false
    return isRomd(mr)
  }

/** `kvm_mem_flags`: the slot flags of a region with this dirty-log mask. */
export const memFlags =
  (dirtyLog: number, options: KvmOptions = {}) =>
  (mr: Region): number =>
    (dirtyLog !== 0 ? KVM_MEM_LOG_DIRTY_PAGES : 0) |
    ((mr.readonly || isRomd(mr)) && options.readonlyMem !== false ? KVM_MEM_READONLY : 0)

/**
 * The slots (one, or several chunks when a maximum slot size applies) KVM gets for a
 * flat range of a RAM-backed region whose RAMBlock starts at `blockOffset`; none when the
 * range is not slotted or has no whole host page.
 *
 * @example
 * import * as kvm from 'ramaddr/kvm'
 * import * as option from 'fp-ts/lib/Option.js'
 * const mr = { id: 1, name: 'pc.ram', kind: 'ram', size: 0x8000000n, addr: 0n, priority: 0, enabled: true, mayOverlap: false, readonly: false, romd: true, nonvolatile: false, aliasOffset: 0n, dirtyLog: 0, subregions: [] }
 * const r = { start: 0x100800n, end: 0x200000n, region: 1, offsetInRegion: 0x100800n, readonly: false, nonvolatile: false, romd: true, dirtyLog: 0 }
 * // the unaligned head is left to QEMU; the slot starts at the next page
 * assert.deepEqual(kvm.slotsOfRange(mr, 0x0n)(r), [{ gpa: 0x101000n, size: 0xff000n, flags: 0, ramAddr: 0x101000n }])
 */
export const slotsOfRange =
  (mr: Region, blockOffset: bigint, options: KvmOptions = {}) =>
  (range: FlatRange): ReadonlyArray<Memslot> => {
    if (!wantsSlot(options)(mr)) return []
    const page = options.hostPageSize ?? 0x1000n
    const start = ((range.start + page - 1n) / page) * page
    const delta = start - range.start
    const size = range.end - range.start
    if (delta > size) return []
    let remaining = ((size - delta) / page) * page
    if (remaining === 0n) return []
    const flags = memFlags(range.dirtyLog, options)(mr)
    const out: Memslot[] = []
    let gpa = start
    let ramAddr = blockOffset + range.offsetInRegion + delta
    const max = options.maxSlotSize
    while (remaining > 0n) {
      const chunk = max !== undefined && max < remaining ? max : remaining
      out.push({ gpa, size: chunk, flags, ramAddr })
      gpa += chunk
      ramAddr += chunk
      remaining -= chunk
    }
    return out
  }

/** The slots of a view's ranges, in address order, given each range's region and block offset. */
export const slotsOfRanges =
  (
    resolve: (r: FlatRange) => O.Option<{ readonly mr: Region; readonly blockOffset: bigint }>,
    options: KvmOptions = {},
  ) =>
  (ranges: ReadonlyArray<FlatRange>): ReadonlyArray<Memslot> =>
    ranges.flatMap((r) =>
      O.match(
        () => [],
        (x: { readonly mr: Region; readonly blockOffset: bigint }) =>
          slotsOfRange(x.mr, x.blockOffset, options)(r),
      )(resolve(r)),
    )
