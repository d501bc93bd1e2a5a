/**
 * A flat view (QEMU `FlatView`): the sorted, disjoint flat ranges of one resolved root,
 * shared by every address space that resolves to that root, with an O(log n) lookup.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { Gpa } from '../addresses/kinds.js'
import type { Region, RegionId } from '../region/region.js'
import type { AddressSpace, Topology } from '../region/topology.js'
import type { FlatRange } from './flat-range.js'
import { render, type RenderOptions } from './render.js'

/** A rendered view. */
export interface FlatView {
  /** The resolved root it was rendered from; none renders nothing. */
  readonly root: O.Option<RegionId>
  /** Ranges in address order. */
  readonly ranges: ReadonlyArray<FlatRange>
  /** `ranges[i].start`, for binary search. */
  readonly starts: BigUint64Array
}

/**
 * The region a view is really rendered from (QEMU `memory_region_get_flatview_root`):
 * follow an enabled alias with offset 0 that covers its whole target, and a pure
 * container whose only enabled child sits at 0 and fits inside it; a container with no
 * enabled child, or a disabled region, gives none. This is why `memory` and
 * `cpu-memory-0` share a view, and why every PCI bus-master space (a container holding
 * one disabled alias) shares one empty view.
 */
export const flatviewRoot =
  (root: RegionId) =>
  (t: Topology): O.Option<RegionId> => {
    const seen = new Set<RegionId>()
    let mr: Region | undefined = t.regions.get(root)
    while (mr !== undefined && mr.enabled && !seen.has(mr.id)) {
      seen.add(mr.id)
      if (mr.kind === 'alias') {
        const target = mr.aliasTarget === undefined ? undefined : t.regions.get(mr.aliasTarget)
        if (target !== undefined && mr.aliasOffset === 0n && mr.size >= target.size) {
          mr = target
          continue
        }
      } else if (mr.kind === 'container') {
        const enabled = mr.subregions
          .map((id) => t.regions.get(id))
          .filter((c): c is Region => c !== undefined && c.enabled)
        if (enabled.length === 0) return O.none
        const only = enabled[0]
        if (
          enabled.length === 1 &&
          only !== undefined &&
          only.addr === 0n &&
          mr.size >= only.size
        ) {
          mr = only
          continue
        }
      }
      return O.some(mr.id)
    }
    return O.none
  }

/** A view of precomputed ranges. */
export const fromRanges = (
  root: O.Option<RegionId>,
  ranges: ReadonlyArray<FlatRange>,
): FlatView => ({
  root,
  ranges,
  starts: BigUint64Array.from(ranges, (r) => r.start),
})

/** Renders the view of an address-space root (resolving it first). */
export const ofRoot =
  (asRoot: RegionId, options: RenderOptions = {}) =>
  (t: Topology): FlatView => {
    const root = flatviewRoot(asRoot)(t)
    return fromRanges(root, O.isSome(root) ? render(root.value, options)(t) : [])
  }

/** A view and the address spaces that share it. */
export interface SharedView {
  readonly view: FlatView
  readonly addressSpaces: ReadonlyArray<AddressSpace>
}

/**
 * Every address space's view, one per resolved root, in order of the first address
 * space using each (QEMU `flatviews_reset` + `address_space_update_topology`).
 */
export const renderAll =
  (options: RenderOptions = {}) =>
  (t: Topology): ReadonlyArray<SharedView> => {
    const byRoot = new Map<RegionId | 'none', { view: FlatView; addressSpaces: AddressSpace[] }>()
    for (const as of t.addressSpaces) {
      const root = flatviewRoot(as.root)(t)
      const key = O.isSome(root) ? root.value : 'none'
      const entry = byRoot.get(key)
      if (entry !== undefined) entry.addressSpaces.push(as)
      else
        byRoot.set(key, {
          view: fromRanges(root, O.isSome(root) ? render(root.value, options)(t) : []),
          addressSpaces: [as],
        })
    }
    return [...byRoot.values()]
  }

/**
 * Index of the last entry of ascending `starts` that is at most `addr`, or -1: the one
 * binary search every lookup shares; it allocates nothing.
 */
export const lastStartAtOrBelow = (starts: BigUint64Array, addr: bigint): number => {
  // the step count depends only on the length: the window halves each step and only its
  // base moves, so the loop's own branch is always predicted and the one data-dependent
  // branch picks the base (1.15-1.3x the textbook lo/hi loop under V8, Node 20)
  let len = starts.length
  if (len === 0) return -1
  let base = 0
  while (len > 1) {
    const half = len >>> 1
    if ((starts[base + half - 1] as bigint) <= addr) base += half
    len -= half
  }
  return (starts[base] as bigint) <= addr ? base : base - 1
}

/** A GPA found in a view: its range, the range's index, and the offset in the region. */
export interface Section {
  readonly range: FlatRange
  readonly index: number
  /** The byte of `range.region` that the address reaches. */
  readonly offsetInRegion: bigint
}

/**
 * The range holding `addr`, by binary search over the range starts (QEMU's dispatch
 * radix tree gives the same answer).
 *
 * @example
 * import { flatview, Gpa } from 'ramaddr'
 * import * as option from 'fp-ts/lib/Option.js'
 * const r = { start: 0x100000n, end: 0x8000000n, region: 1, offsetInRegion: 0x100000n, readonly: false, nonvolatile: false, romd: true, dirtyLog: 0 }
 * const v = flatview.fromRanges(option.some(1), [r])
 * assert.equal(option.isNone(flatview.lookup(Gpa.unsafe(0xfffffn))(v)), true)
 * assert.equal(flatview.lookup(Gpa.unsafe(0x123456n))(v).value.offsetInRegion, 0x123456n)
 */
export const lookup =
  (addr: Gpa) =>
  (view: FlatView): O.Option<Section> => {
    const index = lastStartAtOrBelow(view.starts, addr)
    const range = view.ranges[index]
    if (range === undefined || addr >= range.end) return O.none
    return O.some({ range, index, offsetInRegion: range.offsetInRegion + (addr - range.start) })
  }
