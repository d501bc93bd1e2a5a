/**
 * Slots of an {@link AddressMap}: the resolver that ties a flat range to its region and
 * RAMBlock, and the slot set QEMU 7.2 would hold for the map's address space.
 *
 * @module
 */
import * as O from 'fp-ts/lib/Option.js'
import type { FlatRange } from '../flatview/flat-range.js'
import type { AddressMap } from '../translate/address-map.js'
import type { Resolver } from './listener.js'
import { slotsOfRanges, type KvmOptions, type Memslot } from './memslot.js'

/** Region and block offset of each range of the map's topology. */
export const resolverOf =
  (map: AddressMap): Resolver =>
  (r: FlatRange) => {
    const mr = map.topology.regions.get(r.region)
    const block = mr?.ramBlock === undefined ? undefined : map.blocks.get(mr.ramBlock)
    return mr === undefined || block === undefined
      ? O.none
      : O.some({ mr, blockOffset: block.offset })
  }

/**
 * The memslots KVM holds for the map's address space once QEMU has caught up with its
 * view, in address order (ids depend on history; see {@link commit}).
 */
export const slotsOf =
  (options: KvmOptions = {}) =>
  (map: AddressMap): ReadonlyArray<Memslot> =>
    slotsOfRanges(resolverOf(map), options)(map.view.ranges)
