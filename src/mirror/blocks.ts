/**
 * The RAMBlocks behind an address map: which one holds a `ram_addr_t`, the RAM list
 * itself, and the map rebuilt over another RAM list.
 *
 * @module
 */
import { either as E } from 'fp-ts'
import { PAGE_4K } from '../addresses/page.js'
import type { RAMBlock } from '../ramblock/ramblock.js'
import type { RamList } from '../ramblock/ram-list.js'
import { build, type AddressMap } from '../translate/address-map.js'

/** The block whose `[offset, offset + max length)` holds `ramAddr`, if any. */
export const blockAtRamAddr =
  (ramAddr: bigint) =>
  (map: AddressMap): RAMBlock | undefined => {
    for (const b of map.blocks.values())
      if (ramAddr >= b.offset && ramAddr < b.offset + b.maxLength) return b
    return undefined
  }

/**
 * The RAM list behind a map, in list order (the map keeps its blocks in that order), with
 * x86's 4 KiB target and host pages.
 */
export const ramListOf = (map: AddressMap): RamList => ({
  blocks: [...map.blocks.values()],
  targetPageSize: PAGE_4K,
  hostPageSize: PAGE_4K,
})

/** The same map over another RAM list (the map itself if that does not build). */
export const withRamList =
  (ramList: RamList) =>
  (map: AddressMap): AddressMap => {
    const rebuilt = build({ topology: map.topology, ramList, addressSpace: map.addressSpace })
    return E.isRight(rebuilt) ? rebuilt.right : map
  }
