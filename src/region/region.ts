/**
 * A memory region (QEMU `MemoryRegion`, include/exec/memory.h): a node of the region
 * tree with its address in its container, priority, flags, and for aliases the target
 * and offset. Regions are identified by a {@link RegionId}, not by name: names repeat
 * (`pam-pci` appears 13 times on a PC).
 *
 * @module
 */

declare const regionIdTag: unique symbol

/** A region's identity, stable across edits. */
export type RegionId = number & { readonly [regionIdTag]: 'RegionId' }

/**
 * What a region is, as QEMU's constructors make it (softmmu/memory.c):
 * - `container`: `memory_region_init`; holds subregions, renders nothing of its own;
 * - `ram`: RAM (`memory_region_init_ram*`), or ROM when `readonly`
 *   (`memory_region_init_rom`);
 * - `romDevice`: `memory_region_init_rom_device`: RAM reads and MMIO writes in romd mode,
 *   MMIO only otherwise;
 * - `io`: `memory_region_init_io` (MMIO or port I/O);
 * - `reservation`: an I/O region with no ops (`kvm-ioapic` and friends);
 * - `ramDevice`: `memory_region_init_ram_device_ptr` (VFIO BAR mmaps);
 * - `iommu`: an IOMMU region (terminates; translated at access time);
 * - `alias`: `memory_region_init_alias`: a window onto `target` from `aliasOffset`.
 */
export type RegionKind =
  'container' | 'ram' | 'romDevice' | 'io' | 'reservation' | 'ramDevice' | 'iommu' | 'alias'

/** QEMU's dirty-memory client `DIRTY_MEMORY_VGA` (client 0) as a mask bit. */
export const DIRTY_MEMORY_VGA = 1
/** `DIRTY_MEMORY_CODE` (client 1): TCG's translated-code tracking. */
export const DIRTY_MEMORY_CODE = 2
/** `DIRTY_MEMORY_MIGRATION` (client 2): live migration. */
export const DIRTY_MEMORY_MIGRATION = 4

/** A memory region. */
export interface Region {
  readonly id: RegionId
  readonly name: string
  readonly kind: RegionKind
  /** Size in bytes, up to 2^64 (QEMU `Int128`). */
  readonly size: bigint
  /** Offset in the container (QEMU `addr`). */
  readonly addr: bigint
  /** Priority among siblings; higher wins; may be negative. */
  readonly priority: number
  readonly enabled: boolean
  /** Added with `memory_region_add_subregion_overlap` (informational: 7.2 allows overlap always). */
  readonly mayOverlap: boolean
  readonly readonly: boolean
  /** ROM-device romd mode (QEMU sets it true at init for every region). */
  readonly romd: boolean
  readonly nonvolatile: boolean
  /** For aliases: the target region. */
  readonly aliasTarget?: RegionId
  /** For aliases: the target offset that appears at alias offset 0. */
  readonly aliasOffset: bigint
  /** For RAM-backed kinds: the idstr of the RAMBlock behind the region, when known. */
  readonly ramBlock?: string
  /** Explicit dirty-log clients (`dirty_log_mask`; only VGA can be set explicitly in QEMU). */
  readonly dirtyLog: number
  /** The container, if the region is mapped in one. */
  readonly container?: RegionId
  /** Subregions in QEMU's list order: descending priority, newest first among equals. */
  readonly subregions: ReadonlyArray<RegionId>
  /**
   * A disabled region whose line `info mtree` (without `-D`) left out: only its place in
   * the tree is known, not its size, address or kind.
   */
  readonly placeholder?: true
  /**
   * A region known only from the alias lines that target it (a partial `info mtree`
   * dump): its kind is what those lines print, its size what their windows reach; what is
   * mapped inside it is unknown.
   */
  readonly opaque?: true
}

/**
 * Whether the region generates flat ranges of its own (QEMU `terminates`): everything but
 * containers and aliases.
 */
export const terminates = (r: Region): boolean => r.kind !== 'container' && r.kind !== 'alias'

/** QEMU `memory_region_is_ram`: RAM, ROM and RAM devices (not ROM devices). */
export const isRam = (r: Region): boolean => r.kind === 'ram' || r.kind === 'ramDevice'

/** QEMU `memory_region_is_romd`: a ROM device in romd mode. */
export const isRomd = (r: Region): boolean => r.kind === 'romDevice' && r.romd

/** Whether a RAMBlock backs the region (RAM, ROM, ROM device, RAM device). */
export const hasRamBlock = (r: Region): boolean =>
  r.kind === 'ram' || r.kind === 'romDevice' || r.kind === 'ramDevice'

/**
 * The type word `info mtree` prints (`memory_region_type`): `ramd`, `romd`, `rom`, `ram`
 * or `i/o`, for a non-alias region.
 */
export const typeWord = (r: Region): string =>
  r.kind === 'ramDevice'
    ? 'ramd'
    : isRomd(r)
      ? 'romd'
      : r.kind === 'ram' && r.readonly
        ? 'rom'
        : r.kind === 'ram'
          ? 'ram'
          : 'i/o'
