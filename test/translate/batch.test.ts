// ramAddrsOfGpas (the batch path, which searches on 32-bit halves and doubles rather than
// bigints) against a model built from flatview.lookup and the RAMBlock offsets: on every
// recorded memory view, and on random views whose RAM lies anywhere in the 64-bit space
// (above 2^53 the batch takes its other search; a block below a high GPA makes the 64-bit
// add wrap and carry).
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gpa } from '../../src/addresses/kinds.js'
import { lookup } from '../../src/flatview/flatview.js'
import { fromDumps } from '../../src/qemu/machine.js'
import { fromRegions } from '../../src/region/topology.js'
import { addAll, empty } from '../../src/ramblock/ram-list.js'
import { make, ramAddrsOfGpas, type AddressMap } from '../../src/translate/address-map.js'
import { fixture, scenarios } from '../helpers.js'

const TWO_64 = 1n << 64n

/** QEMU's formula: `block.offset + offset_within_region` of the section holding `gpa`. */
const model = (map: AddressMap, gpa: bigint): bigint | undefined => {
  const hit = lookup(Gpa.unsafe(gpa))(map.view)
  if (O.isNone(hit)) return undefined
  const region = map.topology.regions.get(hit.value.range.region)
  const block = region?.ramBlock === undefined ? undefined : map.blocks.get(region.ramBlock)
  return block === undefined
    ? undefined
    : BigInt.asUintN(64, block.offset + hit.value.offsetInRegion)
}

const check = (map: AddressMap, gpas: ReadonlyArray<bigint>): void => {
  const got = ramAddrsOfGpas(BigUint64Array.from(gpas))(map)
  gpas.forEach((g, k) => {
    const want = model(map, g)
    expect({
      gpa: `0x${g.toString(16)}`,
      ram: got.mapped[k] === 1 ? got.ramAddrs[k] : undefined,
    }).toEqual({ gpa: `0x${g.toString(16)}`, ram: want })
  })
}

/** The first, a middle and the last byte of every range, and just outside each. */
const edges = (map: AddressMap): bigint[] =>
  map.view.ranges.flatMap((r) =>
    [r.start - 1n, r.start, r.start + (r.end - r.start) / 2n, r.end - 1n, r.end].filter(
      (a) => a >= 0n && a < TWO_64,
    ),
  )

describe('ramAddrsOfGpas agrees with the lookup model', () => {
  const all = scenarios().filter((s) =>
    ['qemu-7.2', 'qemu-10.0', 'ramaddr-7.2'].includes(s.recording),
  )
  it('there are recordings', () => expect(all.length).toBeGreaterThan(5))
  for (const s of all)
    it(`${s.recording}/${s.name}, last state`, () => {
      const n = s.states - 1
      const m = fromDumps({
        mtree: fixture(s, n, 'mtree-D.txt'),
        flat: fixture(s, n, 'mtree-f.txt'),
        ramblock: fixture(s, n, 'ramblock.txt'),
      })
      if (E.isLeft(m)) throw new Error(m.left.message)
      check(m.right.addressMap, edges(m.right.addressMap))
    })

  // RAM regions at random page addresses of the whole 64-bit space (many above 2^53),
  // overlapping at random priorities
  const ram = fc.record({
    page: fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 52n) - 65n }),
      fc.bigInt({ min: (1n << 41n) - 16n, max: (1n << 41n) + 16n }),
      fc.bigInt({ min: (1n << 52n) - 256n, max: (1n << 52n) - 65n }),
    ),
    pages: fc.bigInt({ min: 1n, max: 64n }),
    priority: fc.integer({ min: 0, max: 3 }),
  })
  test.prop(
    [
      fc.array(ram, { minLength: 1, maxLength: 12 }),
      fc.array(fc.bigInt({ min: 0n, max: TWO_64 - 1n }), { maxLength: 40 }),
    ],
    { numRuns: 200 },
  )('on RAM anywhere in the 64-bit space', (rams, extra) => {
    const specs = [
      { name: 'system', kind: 'container' as const, size: TWO_64 },
      ...rams.map((r, i) => ({
        name: `r${i}`,
        kind: 'ram' as const,
        size: r.pages * 0x1000n,
        parent: 0,
        addr: r.page * 0x1000n,
        priority: r.priority,
        ramBlock: `b${i}`,
      })),
    ]
    const t = fromRegions(specs, [{ name: 'memory', root: 0 }])
    if (E.isLeft(t)) throw new Error(t.left.message)
    const list = addAll(rams.map((r, i) => ({ idstr: `b${i}`, usedLength: r.pages * 0x1000n })))(
      empty(),
    )
    if (E.isLeft(list)) throw new Error(list.left.message)
    const map = make({ topology: t.right, ramList: list.right })
    if (E.isLeft(map)) throw new Error(map.left.message)
    check(map.right, [...edges(map.right), ...extra])
  })
})
