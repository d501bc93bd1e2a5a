/**
 * A RAMBlock: one piece of host memory that backs guest RAM, ROM or RAM-backed device
 * memory, and its place in `ram_addr_t` space (QEMU `struct RAMBlock`,
 * include/exec/ramblock.h).
 *
 * The block occupies `[offset, offset + maxLength)` of `ram_addr_t` space for its whole
 * life; only `[offset, offset + usedLength)` holds valid data, and `usedLength` may change
 * (`qemu_ram_resize`) for resizeable blocks. `offset` never changes.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { Hva, RamAddr, Size } from '../addresses/kinds.js'
import type { PageSize } from '../addresses/page.js'
import type { AddrRange } from '../addresses/range.js'

/**
 * The RAMBlock flags this model tracks (QEMU `RAM_*` in include/exec/memory.h; 10.x adds
 * `RAM_GUEST_MEMFD` and `RAM_READONLY`).
 */
export interface RAMBlockFlags {
  /** `RAM_SHARED`: mmap'd `MAP_SHARED` (memory-backend `share=on`). */
  readonly shared: boolean
  /** `RAM_RESIZEABLE`: `usedLength` may change up to `maxLength` (fw_cfg ROM blobs). */
  readonly resizeable: boolean
  /** `RAM_PREALLOC`: host memory supplied by the caller; never freed by QEMU. */
  readonly preallocated: boolean
  /** `RAM_NORESERVE`: mmap'd `MAP_NORESERVE` (memory-backend `reserve=off`). */
  readonly noReserve: boolean
  /** `RAM_GUEST_MEMFD`: has a KVM guest_memfd for private memory (QEMU 10.x). */
  readonly guestMemfd: boolean
  /**
   * `RAM_READONLY`: mmap'd read-only (QEMU 10.x; in 7.2 a ROM is a readonly region). An
   * `info ramblock` of QEMU 8.0 on sets it from its `RO` column, which prints whether the
   * block's region is read-only (`mr->readonly`: every ROM and ROM blob).
   */
  readonly readonly: boolean
}

/** All flags clear. */
export const NO_FLAGS: RAMBlockFlags = {
  shared: false,
  resizeable: false,
  preallocated: false,
  noReserve: false,
  guestMemfd: false,
  readonly: false,
}

/** A RAMBlock of the RAM list. */
export interface RAMBlock {
  /** The block's unique name: `<device path>/<region name>` or the region name (`pc.ram`). */
  readonly idstr: string
  /** The `ram_addr_t` of the block's first byte. */
  readonly offset: RamAddr
  /** Bytes currently valid (QEMU `used_length`). */
  readonly usedLength: Size
  /** Bytes reserved in `ram_addr_t` space (QEMU `max_length`). */
  readonly maxLength: Size
  /** The block's page size: host page, or the huge-page size of a hugetlbfs backing. */
  readonly pageSize: PageSize
  /** Flags. */
  readonly flags: RAMBlockFlags
  /** The name of the memory region the block backs (`vga.vram` for `0000:00:02.0/vga.vram`). */
  readonly mr: string
  /** The host virtual address of the first byte, when known (QEMU `block->host`). */
  readonly host: O.Option<Hva>
}

/**
 * The region name a block's idstr implies: its last `/`-separated component, as
 * `qemu_ram_set_idstr` builds `<dev path>/<name>` (ROM blobs, `/rom@etc/acpi/tables`, keep
 * their whole name, since their region is named the same).
 *
 * @example
 * import * as ramblock from 'ramaddr/internal/ramblock/ramblock'
 * assert.equal(ramblock.regionNameOf('0000:00:02.0/vga.vram'), 'vga.vram')
 * assert.equal(ramblock.regionNameOf('/rom@etc/acpi/tables'), '/rom@etc/acpi/tables')
 * assert.equal(ramblock.regionNameOf('pc.ram'), 'pc.ram')
 */
export const regionNameOf = (idstr: string): string => {
  if (idstr.startsWith('/rom@')) return idstr
  const slash = idstr.lastIndexOf('/')
  return slash < 0 ? idstr : idstr.slice(slash + 1)
}

/** The `ram_addr_t` range the block reserves: `[offset, offset + maxLength)`. */
export const reserved = (b: RAMBlock): AddrRange<RamAddr> => ({
  start: b.offset,
  end: b.offset + b.maxLength,
})

/** The `ram_addr_t` range holding valid data: `[offset, offset + usedLength)`. */
export const used = (b: RAMBlock): AddrRange<RamAddr> => ({
  start: b.offset,
  end: b.offset + b.usedLength,
})
