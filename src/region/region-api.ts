/**
 * One memory region (QEMU's `MemoryRegion`): its kinds, and what a flat view asks of it.
 *
 * @category Memory regions
 * @module
 */
export {
  DIRTY_MEMORY_VGA,
  DIRTY_MEMORY_CODE,
  DIRTY_MEMORY_MIGRATION,
  terminates,
  isRam,
  isRomd,
  hasRamBlock,
  type Region,
  type RegionId,
  type RegionKind,
} from './region.js'
