// translationOfGpa against a model built from flatview.lookup (itself checked point by
// point against a model of QEMU's rendering in test/flatview): at the first, a middle and
// the last byte of every range of every recorded memory view, and just past each range.
import { describe, expect, it } from 'vitest'
import * as O from 'fp-ts/lib/Option.js'
import { Gpa, type Hva } from '../../src/addresses/kinds.js'
import { lookup } from '../../src/flatview/flatview.js'
import {
  translationOfGpa,
  type AddressMap,
  type Translation,
} from '../../src/translate/address-map.js'
import { scenarios } from '../helpers.js'
import { recordedMachine } from '../recorded-machine.js'

/** The answer QEMU's formula gives, from the view's section and the region's RAMBlock. */
const model = (map: AddressMap, gpa: Gpa): Translation => {
  const hit = lookup(gpa)(map.view)
  if (O.isNone(hit)) return { _tag: 'Unassigned', gpa }
  const { range, offsetInRegion } = hit.value
  const region = map.topology.regions.get(range.region)
  if (region === undefined) return { _tag: 'Unassigned', gpa }
  const block = region.ramBlock === undefined ? undefined : map.blocks.get(region.ramBlock)
  if (block === undefined) return { _tag: 'Mmio', gpa, region, offsetInRegion }
  return {
    _tag: 'Ram',
    gpa,
    region,
    offsetInRegion,
    ramAddr: (block.offset + offsetInRegion) as never,
    block,
    hva: O.map((h: Hva) => (h + offsetInRegion) as Hva)(block.host),
    readonly: range.readonly,
  }
}

const all = scenarios().filter((s) =>
  ['qemu-7.2', 'qemu-10.0', 'ramaddr-7.2'].includes(s.recording),
)

describe('translationOfGpa agrees with the lookup model', () => {
  it('there are recordings', () => expect(all.length).toBeGreaterThan(5))
  for (const s of all)
    it(`${s.recording}/${s.name}, last state`, () => {
      const map = recordedMachine(s, s.states - 1).addressMap
      let ram = 0
      for (const r of map.view.ranges)
        for (const a of [r.start, r.start + (r.end - r.start) / 2n, r.end - 1n, r.end]) {
          if (a >= 1n << 64n) continue
          const gpa = Gpa.unsafe(a)
          const got = translationOfGpa(gpa)(map)
          expect(got, `0x${a.toString(16)}`).toEqual(model(map, gpa))
          if (got._tag === 'Ram') ram++
        }
      expect(ram).toBeGreaterThan(0)
    })
})
