/**
 * A flat range (QEMU's private `FlatRange`, softmmu/memory.c): a piece of an address
 * space backed by one terminating region, after priorities, clipping and aliases are
 * resolved.
 *
 * @module
 */
import type { RegionId } from '../region/region.js'

/** `[start, end)` of an address space backed by bytes `[offsetInRegion, …)` of `region`. */
export interface FlatRange {
  /** Absolute start in the address space. */
  readonly start: bigint
  /** Absolute end, exclusive; at most 2^64. */
  readonly end: bigint
  /** The terminating region (never an alias or a pure container). */
  readonly region: RegionId
  /** Offset of `start` within `region` (alias offsets already applied). */
  readonly offsetInRegion: bigint
  /** OR of `readonly` along the render path (an alias can make RAM read-only). */
  readonly readonly: boolean
  /** OR of `nonvolatile` along the render path. */
  readonly nonvolatile: boolean
  /** The region's romd mode. */
  readonly romd: boolean
  /** Dirty-log clients of the range (`memory_region_get_dirty_log_mask`). */
  readonly dirtyLog: number
}

/**
 * QEMU's `can_merge`: `b` continues `a` in the address space and in the same region, with
 * the same attributes.
 */
export const canMerge = (a: FlatRange, b: FlatRange): boolean => canMergeAt(a, a.end, b)

/** {@link canMerge} for `a` taken to end at `end` (a run already merged up to there). */
export const canMergeAt = (a: FlatRange, end: bigint, b: FlatRange): boolean =>
  end === b.start &&
  a.region === b.region &&
  a.offsetInRegion + (end - a.start) === b.offsetInRegion &&
  a.dirtyLog === b.dirtyLog &&
  a.romd === b.romd &&
  a.readonly === b.readonly &&
  a.nonvolatile === b.nonvolatile

/**
 * QEMU's `flatrange_equal`: same region, extent, offset and attributes (the dirty-log
 * mask is not compared).
 */
export const flatRangeEqual = (a: FlatRange, b: FlatRange): boolean =>
  a.start === b.start &&
  a.end === b.end &&
  a.region === b.region &&
  a.offsetInRegion === b.offsetInRegion &&
  a.romd === b.romd &&
  a.readonly === b.readonly &&
  a.nonvolatile === b.nonvolatile
