/**
 * Every guest-physical range the main VM can see or may see later, which the mirror's
 * helper memory must stay out of: everything the flat view of `memory` maps (RAM, ROM,
 * MMIO), the 64-bit PCI hole firmware may still place BARs in, and the hotplug
 * `device-memory` window.
 *
 * The 64-bit hole follows QEMU 7.2's Q35 host bridge (hw/pci-host/q35.c
 * `q35_host_get_pci_hole64_start`/`_end`, hw/i386/pc.c `pc_pci_hole64_start`): it starts
 * at the lowest 64-bit BAR or, with none, at 4 GiB plus the RAM above 4 GiB rounded up to
 * 1 GiB (guest RAM being the ranges whose RAMBlock has no device path in its idstr), and ends at the higher of the top 64-bit BAR and the start plus
 * `pci-hole64-size` (32 GiB by default on Q35) rounded up to 1 GiB.
 *
 * @module
 */
import type { Gpa } from '../addresses/kinds.js'
import type { AddrRange } from '../addresses/range.js'
import { absoluteAddress, byName } from '../region/region-ref.js'
import type { AddressMap } from '../translate/address-map.js'

const GIB = 1n << 30n
const FOUR_GIB = 4n * GIB
const roundUpGiB = (n: bigint): bigint => ((n + GIB - 1n) / GIB) * GIB

/** Options for {@link guestVisible}. */
export interface GuestVisibleOptions {
  /** `pci-hole64-size` (default 32 GiB, Q35's `Q35_PCI_HOST_HOLE64_SIZE_DEFAULT`). */
  readonly pciHole64Size?: bigint
  /** More ranges to keep clear of. */
  readonly extra?: ReadonlyArray<AddrRange<bigint>>
}

/** The 64-bit PCI hole as QEMU 7.2's Q35 host bridge reports it for this view. */
export const pciHole64 =
  (size: bigint = 32n * GIB) =>
  (map: AddressMap): AddrRange<Gpa> => {
    let ramTop = FOUR_GIB
    let barLo: bigint | undefined
    let barHi: bigint | undefined
    map.view.ranges.forEach((r, i) => {
      if (r.end <= FOUR_GIB) return
      // Guest RAM comes from a RAMBlock of the machine (pc.ram, a memdev's ram0), whose
      // idstr has no device path; everything else up there is a 64-bit BAR.
      const mr = map.topology.regions.get(r.region)
      const block = mr?.ramBlock === undefined ? undefined : map.blocks.get(mr.ramBlock)
      const isRam =
        map.ramDelta[i] !== undefined && block !== undefined && !block.idstr.includes('/')
      if (isRam) {
        if (r.end > ramTop) ramTop = r.end
        return
      }
      if (barLo === undefined || r.start < barLo) barLo = r.start
      if (barHi === undefined || r.end > barHi) barHi = r.end
    })
    const start = barLo ?? roundUpGiB(ramTop)
    const end = roundUpGiB(start + size)
    return { start: start as Gpa, end: barHi !== undefined && barHi > end ? barHi : end }
  }

/**
 * The guest-visible ranges, sorted and merged.
 *
 * @example
 * import { translate, mtree, infoRamblock, machines } from 'ramaddr'
 * import * as mirror from 'ramaddr/mirror'
 * import * as either from 'fp-ts/lib/Either.js'
 * const t = mtree.parse(machines.Q35.mtree)
 * const l = infoRamblock.parse(machines.Q35.ramblock)
 * assert.ok(either.isRight(t) && either.isRight(l))
 * const map = translate.make({ topology: t.right, ramList: l.right })
 * assert.ok(either.isRight(map))
 * // The recorded Q35 has its virtio-net BAR at 32 GiB: the hole runs from there for 32 GiB.
 * const h = mirror.pciHole64()(map.right)
 * assert.deepEqual([h.start, h.end], [0x800000000n, 0x1000000000n])
 * const v = mirror.guestVisible()(map.right)
 * assert.equal(v[v.length - 1].end, 0x1000000000n)
 */
export const guestVisible =
  (o: GuestVisibleOptions = {}) =>
  (map: AddressMap): ReadonlyArray<AddrRange<bigint>> => {
    const all: Array<AddrRange<bigint>> = map.view.ranges.map((r) => ({
      start: r.start,
      end: r.end,
    }))
    all.push(pciHole64(o.pciHole64Size)(map))
    for (const dm of byName('device-memory')(map.topology)) {
      if (dm.container === undefined || !dm.enabled) continue
      const start = absoluteAddress(dm.id)(map.topology)
      all.push({ start, end: start + dm.size })
    }
    all.push(...(o.extra ?? []))
    all.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
    const out: Array<AddrRange<bigint>> = []
    for (const r of all) {
      if (r.end <= r.start) continue
      const last = out[out.length - 1]
      if (last !== undefined && r.start <= last.end) {
        if (r.end > last.end) out[out.length - 1] = { start: last.start, end: r.end }
      } else out.push(r)
    }
    return out
  }
