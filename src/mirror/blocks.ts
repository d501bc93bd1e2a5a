/**
 * The map rebuilt over another RAM list (the mirror's helper block added to the main VM's).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js'
import type { RamList } from '../ramblock/ram-list.js'
import { make, type AddressMap } from '../translate/address-map.js'

/** The same map over another RAM list (the map itself if that does not build). */
export const withRamList =
  (ramList: RamList) =>
  (map: AddressMap): AddressMap => {
    const rebuilt = make({ topology: map.topology, ramList, addressSpace: map.addressSpace })
    return E.isRight(rebuilt) ? rebuilt.right : map
  }
