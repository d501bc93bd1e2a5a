/**
 * The `ram_addr_t` ranges behind a GPA range: the RAM-backed parts of the range in the
 * map's flat view, each turned into the `ram_addr_t` extent that backs it.
 *
 * @module
 */
import type { Gpa, RamAddr } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import { lastStartAtOrBelow } from '../flatview/flatview.js'
import type { AddressMap } from './address-map.js'

/** The RAM-backed pieces of `[r.start, r.end)` and their `ram_addr_t` extents, in GPA order. */
export const piecesOfGpaRange =
  (r: AddrRange<Gpa>) =>
  (
    map: AddressMap,
  ): ReadonlyArray<{ readonly gpa: AddrRange<Gpa>; readonly ram: AddrRange<RamAddr> }> => {
    const out: Array<{ gpa: AddrRange<Gpa>; ram: AddrRange<RamAddr> }> = []
    const { ranges, starts } = map.view
    let i = Math.max(0, lastStartAtOrBelow(starts, r.start))
    for (; i < ranges.length; i++) {
      const fr = ranges[i]
      if (fr === undefined || fr.start >= r.end) break
      const s = fr.start > r.start ? fr.start : r.start
      const e = fr.end < r.end ? fr.end : r.end
      const delta = map.ramDelta[i]
      if (s >= e || delta === undefined) continue
      out.push({
        gpa: { start: s as Gpa, end: e },
        ram: { start: (s + delta) as RamAddr, end: e + delta },
      })
    }
    return out
  }

/** Just the `ram_addr_t` extents of {@link piecesOfGpaRange}. */
export const ramRangesOfGpaRange =
  (r: AddrRange<Gpa>) =>
  (map: AddressMap): ReadonlyArray<AddrRange<RamAddr>> =>
    piecesOfGpaRange(r)(map).map((p) => p.ram)
