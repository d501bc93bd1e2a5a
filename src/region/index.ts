/**
 * Memory-region trees (QEMU's `MemoryRegion` graph and its address spaces) as persistent
 * values: build them, edit them as QEMU's `memory_region_*` calls do, and find regions by
 * id, name or path.
 *
 * @category Memory regions
 * @module
 */
export {
  empty,
  addRegion,
  fromRegions,
  addSubregion,
  removeSubregion,
  setAddress,
  setEnabled,
  setReadonly,
  setRomd,
  setNonvolatile,
  setDirtyLog,
  setAliasOffset,
  setSize,
  addAddressSpace,
  type AddressSpace,
  type Topology,
  type RegionSpec,
  type Created,
  type BulkRegion,
} from './topology.js'
export { resolveRef, byName, addressSpace, absoluteAddress, type RegionRef } from './region-ref.js'
export type { TopologyError } from './errors.js'
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
