// ramAddrsOfGpas (the batch path, which searches the packed ranges in chunks with its own
// search and adds modulo 2^64 by storing into a BigUint64Array) against a model built from
// flatview.lookup and the RAMBlock offsets: on every recorded memory view, and on random
// views whose RAM lies anywhere in the 64-bit space (many above 2^53 and 2^63; a block
// below a high GPA makes the 64-bit add wrap).
import { describe, expect, it } from 'vitest'
import { test, fc } from '@fast-check/vitest'
import * as E from 'fp-ts/lib/Either.js'
import * as O from 'fp-ts/lib/Option.js'
import { Gpa } from '../../src/addresses/kinds.js'
import { lookup } from '../../src/flatview/flatview.js'
import { fromRegions } from '../../src/region/topology.js'
import { addAll, empty } from '../../src/ramblock/ram-list.js'
import { make, ramAddrsOfGpas, type AddressMap } from '../../src/translate/address-map.js'
import { scenarios } from '../helpers.js'
import { recordedMachine } from '../recorded-machine.js'

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
      const map = recordedMachine(s, s.states - 1).addressMap
      check(map, edges(map))
    })

  // the batch runs in chunks of 1,024 GPAs: a batch of 3,001 crosses two chunk edges and
  // ends inside a third, and every position must still get its own answer
  it('a batch longer than one chunk, each position its own answer', () => {
    const s = all.find((x) => x.recording === 'qemu-7.2' && x.name === 'q35-512m-vga-net')
    if (s === undefined) throw new Error('no recorded Q35')
    // RAM at every position (so a position skipped or shifted shows), a range edge at every
    // fifth
    const map = recordedMachine(s, s.states - 1).addressMap
    const ram = map.view.ranges.filter((_, i) => map.ramDelta[i] !== undefined)
    const e = edges(map)
    const gpas = Array.from({ length: 3001 }, (_, k) => {
      if (k % 5 === 4) return e[k % e.length] as bigint
      const r = ram[k % ram.length]
      if (r === undefined) throw new Error('no RAM')
      return r.start + ((BigInt(k) * 0x1234n) % (r.end - r.start))
    })
    check(map, gpas)
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
